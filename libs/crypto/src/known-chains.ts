import { Schema } from "effect";
import { DrandBeacon, DrandChainInfo } from "./drand.ts";

// Public drand chains and rounds, as their `/info` and `/public/{round}` endpoints serve them.
// They are known answers: our chain hash must reproduce each `hash`, and our verification must
// accept each round. A forged round would not verify under the chain's public key. Decoding
// them with our schemas also checks that the schemas accept what drand serves.

const info = Schema.decodeUnknownSync(DrandChainInfo);
const beacon = Schema.decodeUnknownSync(DrandBeacon);

/** The League of Entropy's quicknet: bls-unchained-g1-rfc9380, a round every 3 s (also in drand-client's defaults). */
export const QUICKNET_CHAIN_INFO = info({
  public_key:
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
  period: 3,
  genesis_time: 1692803367,
  hash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
  groupHash: "f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e",
  schemeID: "bls-unchained-g1-rfc9380",
  metadata: { beaconID: "quicknet" },
});

/** Quicknet's round 1000. */
export const QUICKNET_ROUND_1000 = beacon({
  round: 1000,
  randomness: "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd",
  signature: "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39",
});

/** drand's testnet quicknet (quicknet-t), from drand-client's defaults. */
export const TESTNET_QUICKNET_CHAIN_INFO = info({
  public_key:
    "b15b65b46fb29104f6a4b5d1e11a8da6344463973d423661bb0804846a0ecd1ef93c25057f1c0baab2ac53e56c662b66072f6d84ee791a3382bfb055afab1e6a375538d8ffc451104ac971d2dc9b168e2d3246b0be2015969cbaac298f6502da",
  period: 3,
  genesis_time: 1689232296,
  hash: "cc9c398442737cbd141526600919edd69f1d6f9b4adb67e4d912fbc64341a9a5",
  groupHash: "40d49d910472d4adb1d67f65db8332f11b4284eecf05c05c5eacd5eef7d40e2d",
  schemeID: "bls-unchained-g1-rfc9380",
  metadata: { beaconID: "quicknet-t" },
});

/** drand's first mainnet chain (pedersen-bls-chained, beacon id "default": left out of the hash). */
export const MAINNET_DEFAULT_CHAIN_INFO = info({
  public_key: "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
  period: 30,
  genesis_time: 1595431050,
  hash: "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
  groupHash: "176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a",
  schemeID: "pedersen-bls-chained",
  metadata: { beaconID: "default" },
});

/** The bls-unchained-g1-rfc9380 chain of drand-client's own verification tests ("walkthrough"). */
export const WALKTHROUGH_CHAIN_INFO = info({
  public_key:
    "81d320f220ee9c79e60e19dedc838c31e3ab919b15481e9feb52f643628c4f6a13fdc52129493875a818109d767272ca0541cbcdcea9335f2870d781b39b845ba8cbd44fdfe4967781cf72ca5917fc9398bcf97ca0548ed5a709016c4b1ff0f3",
  period: 3,
  genesis_time: 1687506816,
  hash: "af8b6fc95693b058a3a59efe586eb31c2c352fe00cf40c62a427d87c34f7a235",
  groupHash: "02d678e93908888871b70e3f015b396a8c082bc1493ae5479f8743cb5d972b54",
  schemeID: "bls-unchained-g1-rfc9380",
  metadata: { beaconID: "walkthrough" },
});

/** The walkthrough chain's round 38, from drand-client's verification tests. */
export const WALKTHROUGH_ROUND_38 = beacon({
  round: 38,
  randomness: "b2fc21325a24904a6a9e81a6c63f65f6cec3f0b2400df3f4a56b214770e9ccca",
  signature: "95c93585c513ebbcb4777ff15599b3140e5ec0295faa0e483f3deadd88fa6d43f0d3703e3a4ce106e8fd6c6987f32126",
});
