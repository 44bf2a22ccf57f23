/**
 * Goodness-of-fit tools for the random-number tests: the chi-square and Kolmogorov–Smirnov tail
 * probabilities and sample moments. Every test that uses them has a fixed seed, so it is
 * deterministic; the significance level only says how unlucky a correct generator would have to be
 * for the fixed draw to fail.
 */

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error < 1e-13). */
export function logGamma(x: number): number {
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531,
    -176.61503916999186, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The regularized upper incomplete gamma Q(a, x) (series below a + 1, continued fraction above). */
function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const logPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-16; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return 1 - sum * Math.exp(logPrefix);
  }
  // Lentz's method for the continued fraction of Q.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(logPrefix) * h;
}

/** P(χ²_df ≥ statistic). */
export function chiSquareSurvival(statistic: number, df: number): number {
  return upperGamma(df / 2, statistic / 2);
}

/** The Kolmogorov–Smirnov statistic sup |F_n − F| of samples against a continuous CDF. */
export function ksStatistic(samples: ArrayLike<number>, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  });
  return d;
}

/**
 * P(D_n ≥ d) from the Kolmogorov distribution with Stephens' small-sample correction
 * λ = (√n + 0.12 + 0.11/√n)·d (accurate to a few per cent in the tail for n ≥ 35).
 */
export function ksSurvival(d: number, n: number): number {
  const root = Math.sqrt(n);
  const lambda = (root + 0.12 + 0.11 / root) * d;
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) sum += (k % 2 ? 2 : -2) * Math.exp(-2 * k * k * lambda * lambda);
  return Math.min(1, Math.max(0, sum));
}

export interface Moments {
  mean: number;
  variance: number;
  /** E[(x − mean)^3]/σ^3 and E[(x − mean)^4]/σ^4 of the sample. */
  skewness: number;
  kurtosis: number;
}

export function moments(samples: ArrayLike<number>): Moments {
  const n = samples.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples[i];
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const e = samples[i] - mean;
    m2 += e * e;
    m3 += e * e * e;
    m4 += e * e * e * e;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { mean, variance: m2, skewness: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

/**
 * The chi-square statistic of index counts from sparse draws (B of d without replacement per
 * point, M points), rescaled to be χ²_{d−1} distributed. Each count is a sum of M independent
 * Bernoulli(B/d) inclusions, but within a point the inclusions are negatively correlated (exactly
 * B are set): the covariance is (B/d)(1 − B/d)·d/(d−1)·(I − 11ᵀ/d), so Σ(O − E)²/E with E = MB/d is
 * (d − B)/(d − 1)·χ²_{d−1} for large M, and the factor (d − 1)/(d − B) restores χ²_{d−1}.
 */
export function sparseIndexChiSquare(
  counts: ArrayLike<number>,
  points: number,
  samples: number,
): { statistic: number; df: number; pValue: number } {
  const d = counts.length;
  const expected = (points * samples) / d;
  let raw = 0;
  for (let i = 0; i < d; i++) raw += (counts[i] - expected) ** 2 / expected;
  const statistic = (raw * (d - 1)) / (d - samples);
  return { statistic, df: d - 1, pValue: chiSquareSurvival(statistic, d - 1) };
}

/** Φ(x), the standard normal CDF, from Numerical Recipes' erfc fit (relative error < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Pearson's statistic Σ(O − E)²/E of observed counts against expected ones. */
export function pearsonStatistic(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (observed.length !== expected.length) throw new RangeError('pearsonStatistic: lengths differ');
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    statistic += (observed[i] - expected[i]) ** 2 / expected[i];
  }
  return statistic;
}

/** The critical value c with P(χ²_df ≥ c) = p (bisection on chiSquareSurvival, to 1e-9). */
export function chiSquareCritical(p: number, df: number): number {
  let low = 0;
  let high = df + 10 * Math.sqrt(2 * df) + 100;
  while (chiSquareSurvival(high, df) > p) high *= 2;
  while (high - low > 1e-9 * high) {
    const mid = (low + high) / 2;
    if (chiSquareSurvival(mid, df) > p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return Math.round(c);
}

/** The rank of a B-subset of 0..d−1 among the C(d, B) subsets (combinatorial number system). */
function subsetRank(picks: ArrayLike<number>): number {
  const sorted = Array.from(picks).sort((a, b) => a - b);
  return sorted.reduce((rank, c, i) => rank + binomial(c, i + 1), 0);
}

export interface SubsetTest {
  statistic: number;
  df: number;
  pValue: number;
}

function subsetTest(observed: ArrayLike<number>, expected: ArrayLike<number>): SubsetTest {
  const statistic = pearsonStatistic(observed, expected);
  const df = observed.length - 1;
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}

/**
 * Goodness of fit of M pairs (S₁, S₂) of B-subsets of 0..d−1 (`pair(m)` gives pair m, each as B
 * distinct indices in any order) against S₁, S₂ independent and uniform over the C(d, B) subsets:
 *   first, second  each half uniform: χ² over the C(d, B) subsets, C(d, B) − 1 df
 *   joint          the pair uniform over the C(d, B)² pairs (uniform halves and independence):
 *                  C(d, B)² − 1 df
 *   overlap        |S₁ ∩ S₂| against the hypergeometric law C(B, k)·C(d − B, B − k)/C(d, B), the
 *                  overlap of two independent uniform B-subsets: min(B, d − B) df (the
 *                  max(0, 2B − d)..B values, less one)
 */
export function subsetPairChiSquares(
  pair: (m: number) => [ArrayLike<number>, ArrayLike<number>],
  draws: number,
  d: number,
  B: number,
): { first: SubsetTest; second: SubsetTest; joint: SubsetTest; overlap: SubsetTest } {
  const C = binomial(d, B);
  const first = new Float64Array(C);
  const second = new Float64Array(C);
  const joint = new Float64Array(C * C);
  const overlap = new Float64Array(B + 1);
  for (let m = 0; m < draws; m++) {
    const [s1, s2] = pair(m);
    for (const half of [s1, s2]) {
      if (half.length !== B || new Set(Array.from(half)).size !== B) {
        throw new RangeError(`pair ${m}: [${Array.from(half).join(', ')}] is not a ${B}-subset`);
      }
    }
    const [a, b] = [subsetRank(s1), subsetRank(s2)];
    first[a]++;
    second[b]++;
    joint[a * C + b]++;
    const members = new Set(Array.from(s1));
    overlap[Array.from(s2).filter((i) => members.has(i)).length]++;
  }
  const low = Math.max(0, 2 * B - d);
  const law = Array.from({ length: B + 1 - low }, (_, j) => {
    const k = low + j;
    return (binomial(B, k) * binomial(d - B, B - k)) / C;
  });
  return {
    first: subsetTest(first, new Float64Array(C).fill(draws / C)),
    second: subsetTest(second, new Float64Array(C).fill(draws / C)),
    joint: subsetTest(joint, new Float64Array(C * C).fill(draws / (C * C))),
    overlap: subsetTest(
      overlap.subarray(low),
      law.map((q) => q * draws),
    ),
  };
}
