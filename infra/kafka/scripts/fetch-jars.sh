#!/usr/bin/env bash
# Resolves the Kafka broker's jars from Maven Central into the user's cache directory and
# prints that directory on its last line. A second run finds them there and downloads nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/zk-testnet/kafka/$version"
libs="$cache/libs"

if ! command -v java >/dev/null 2>&1; then
  echo "error: Java 17 or newer is required to run the Kafka broker (Debian: apt-get install openjdk-17-jre-headless)" >&2
  exit 3
fi
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if [ "${java_major%%.*}" -lt 17 ] 2>/dev/null; then
  echo "error: Java $java_major found; the Kafka $version broker needs Java 17 or newer" >&2
  exit 3
fi

if [ -f "$libs/.complete" ]; then
  echo "$libs"
  exit 0
fi

if ! command -v mvn >/dev/null 2>&1; then
  echo "error: Maven (mvn) is required once, to fetch the Kafka $version jars from Maven Central (Debian: apt-get install maven)" >&2
  exit 3
fi

# One fetch at a time (runs started together on a fresh machine): the others wait, then find it done.
mkdir -p "$cache"
exec 9>"$cache/.fetch.lock"
flock -w 900 9 || { echo "error: another fetch holds $cache/.fetch.lock for more than 900 s" >&2; exit 4; }
if [ -f "$libs/.complete" ]; then
  echo "$libs"
  exit 0
fi

echo "fetching Kafka $version broker jars from Maven Central into $libs" >&2
rm -rf "$libs.tmp"
if ! mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >"$cache/fetch.log" 2>&1; then
  echo "error: could not fetch the Kafka $version jars from Maven Central and none are cached; see $cache/fetch.log" >&2
  tail -n 5 "$cache/fetch.log" >&2 || true
  exit 4
fi
touch "$libs.tmp/.complete"
rm -rf "$libs"
mv "$libs.tmp" "$libs"
echo "$libs"
