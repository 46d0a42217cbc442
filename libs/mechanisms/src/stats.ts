// Numerical helpers shared by the sampler, the cost model and the statistical tests. Only
// IEEE-exact operations and V8's own Math.log/exp/sqrt are used, so results are the same on
// every machine that runs Node.

const acklamA = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const;
const acklamB = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const;
const acklamC = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const;
const acklamD = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const;
const acklamLow = 0.02425;

const tail = (q: number): number =>
  (((((acklamC[0] * q + acklamC[1]) * q + acklamC[2]) * q + acklamC[3]) * q + acklamC[4]) * q + acklamC[5]) /
  ((((acklamD[0] * q + acklamD[1]) * q + acklamD[2]) * q + acklamD[3]) * q + 1);

/**
 * The standard normal quantile Φ⁻¹(p), by Acklam's rational approximation (relative error
 * below 1.15e-9 over the whole range). p = 0 gives -Infinity, p = 1 gives +Infinity.
 */
export const standardNormalQuantile = (p: number): number => {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p < acklamLow) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - acklamLow) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((acklamA[0] * r + acklamA[1]) * r + acklamA[2]) * r + acklamA[3]) * r + acklamA[4]) * r + acklamA[5]) * q) /
    (((((acklamB[0] * r + acklamB[1]) * r + acklamB[2]) * r + acklamB[3]) * r + acklamB[4]) * r + 1)
  );
};

/** The complementary error function, Numerical Recipes' Chebyshev fit (fractional error below 1.2e-7). */
export const erfc = (x: number): number => {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(-z * z + poly);
  return x >= 0 ? value : 2 - value;
};

/** The standard normal distribution function Φ(z). */
export const standardNormalCdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2);

/**
 * The upper critical value of the chi-square distribution with `degreesOfFreedom` at
 * significance `alpha` (the value exceeded with probability alpha), by the Wilson–Hilferty
 * approximation χ² ≈ ν·(1 − 2/(9ν) + z·√(2/(9ν)))³ with z = Φ⁻¹(1 − alpha). Within about 1.5%
 * of the exact value for ν ≥ 3 at alpha = 0.001 (e.g. ν = 4: 18.72 against 18.47).
 */
export const chiSquareCriticalValue = (alpha: number, degreesOfFreedom: number): number => {
  const nu = degreesOfFreedom;
  const z = standardNormalQuantile(1 - alpha);
  const c = 2 / (9 * nu);
  return nu * (1 - c + z * Math.sqrt(c)) ** 3;
};

/** Pearson's statistic Σ (observed − expected)² / expected over matching categories. */
export const chiSquareStatistic = (observed: readonly number[], expected: readonly number[]): number =>
  observed.reduce((sum, o, k) => {
    const e = expected[k] ?? 0;
    return sum + ((o - e) * (o - e)) / e;
  }, 0);
