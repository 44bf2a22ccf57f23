// lib/random.wgsl: counter-based random numbers for every kernel that draws. A function library: no
// bindings and no entry points. WGSL has no #include, so a kernel that draws is compiled from the
// concatenation lib/random.wgsl + kernel.wgsl (src/gpu/composeShader.ts, which maps compile errors
// back to the right file and line).
//
// Generator: Philox-4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as
// 1, 2, 3", SC 2011; the generator of cuRAND, PyTorch and TensorFlow). It maps a 128-bit counter
// and a 64-bit key to four 32-bit words through ten rounds of multiply/xor, passes TestU01's
// BigCrush, and needs only 32-bit integer arithmetic. Here
//   key     = (seed, stream)                  stream separates purposes (jets, points, ...)
//   counter = (step, point, jet, block)
// so a draw is a pure function of (seed, stream, step, point, jet, element): nothing is uploaded
// per step, a second pass can regenerate a draw instead of storing it, and the same key always
// gives the same draw (two passes of a zeroth-order estimate see identical jets, DESIGN.md §6).
// src/random/counterRandom.ts mirrors every function here on the CPU: bit for bit for the integer
// draws, to a few f32 ulp for the normals (log, sin and cos are computed here, not taken from the
// GPU's builtins, so that holds on every GPU).
//
// Elements of a sequence (step, point, jet) and the Philox block that holds them:
//   uniformAt(n), normalAt(n): block n/4, word n%4 (Box–Muller turns words 0,1 and 2,3 of a
//                              block into the normals n = 4b..4b+3, cos before sin);
//   rademacherAt(n):           block n/128, word (n/32)%4, bit n%32;
//   normalBlock(b):            the normals n = 4b..4b+3 of normalAt at once, for a quarter of the
//                              Philox rounds and half the Box–Muller transforms of four calls.
// WordStream reads words 0, 1, 2, ... of a sequence in order, for algorithms whose number of
// draws depends on what they drew (rejection sampling).

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;
// 2^-24: a 24-bit integer times this is exact in f32.
const TWO_POW_MINUS_24: f32 = 5.9604644775390625e-8;

// (high, low) words of the 64-bit product a·b. WGSL has neither 64-bit integers nor a mulhi
// builtin, so the high word is assembled from four 16×16-bit products, none of which overflows.
fn mulHiLo(a: u32, b: u32) -> vec2<u32> {
  let aLow = a & 0xFFFFu;
  let aHigh = a >> 16u;
  let bLow = b & 0xFFFFu;
  let bHigh = b >> 16u;
  let lowLow = aLow * bLow;
  let lowHigh = aLow * bHigh;
  let highLow = aHigh * bLow;
  let middle = (lowLow >> 16u) + (lowHigh & 0xFFFFu) + (highLow & 0xFFFFu);
  let high = aHigh * bHigh + (lowHigh >> 16u) + (highLow >> 16u) + (middle >> 16u);
  return vec2<u32>(high, a * b);
}

fn philoxRound(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
  let p0 = mulHiLo(PHILOX_M0, c.x);
  let p1 = mulHiLo(PHILOX_M1, c.z);
  return vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
}

// Philox-4x32-10: ten rounds, the key bumped by the Weyl constants between rounds.
fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = philoxRound(counter, key);
  var k = key;
  for (var r = 1u; r < 10u; r++) {
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
    c = philoxRound(c, k);
  }
  return c;
}

fn randomBlock(key: vec2<u32>, trainStep: u32, point: u32, jet: u32, blockIndex: u32) -> vec4<u32> {
  return philox4x32(vec4<u32>(trainStep, point, jet, blockIndex), key);
}

// Uniform on [0, 1) from the top 24 bits: the 2^24 values k·2^-24 are equally likely and exact.
fn unitFromWord(word: u32) -> f32 {
  return f32(word >> 8u) * TWO_POW_MINUS_24;
}

// ln x for x in [2^-24, 1], to a few ulp of the result on every GPU. WGSL's log only promises an
// absolute error of 2^-21 near 1, which would make Box–Muller's small radii sqrt(−2 ln(1 − u))
// wrong by up to 50 %. Here x = m·2^e with m in [√½, √2), ln m = 2·atanh(s) = 2(s + s³/3 + …),
// s = (m − 1)/(m + 1), |s| ≤ 0.172, truncated after s^13 (error < 2e-13); m − 1 is exact, so the
// relative accuracy holds as x → 1.
fn logUnitInterval(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  var exponent = i32(bits >> 23u) - 127;
  var m = bitcast<f32>((bits & 0x007FFFFFu) | 0x3F800000u);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    exponent += 1;
  }
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  let odd = 2.0 + s2 * (2.0 / 3.0 + s2 * (2.0 / 5.0 + s2 * (2.0 / 7.0 + s2 * (2.0 / 9.0 + s2 *
    (2.0 / 11.0 + s2 * (2.0 / 13.0))))));
  return f32(exponent) * 0.6931471805599453 + s * odd;
}

// (cos θ, sin θ) for θ = 2π·k/2^24, k a 24-bit integer, to a few ulp on every GPU (WGSL's sin and
// cos are only bounded to 2^-11 absolute). The quadrant q = round(4k/2^24) comes from the integer,
// so θ = q·π/2 + φ with φ = 2π·(k − q·2^22)/2^24 in [−π/4, π/4) exactly up to one rounding; the
// Taylor series of degree 9 and 10 there err by < 2e-9; the quadrant is an exact rotation.
fn cosSinTurn(k: u32) -> vec2<f32> {
  let nearest = (k + 0x200000u) >> 22u;
  let f = i32(k) - i32(nearest << 22u);
  let q = nearest & 3u;
  let phi = f32(f) * (6.283185307179586 / 16777216.0);
  let p2 = phi * phi;
  let s = phi * (1.0 + p2 * (-1.0 / 6.0 + p2 * (1.0 / 120.0 + p2 * (-1.0 / 5040.0 + p2 *
    (1.0 / 362880.0)))));
  let c = 1.0 + p2 * (-1.0 / 2.0 + p2 * (1.0 / 24.0 + p2 * (-1.0 / 720.0 + p2 * (1.0 / 40320.0 +
    p2 * (-1.0 / 3628800.0)))));
  switch (q) {
    case 0u: { return vec2<f32>(c, s); }
    case 1u: { return vec2<f32>(-s, c); }
    case 2u: { return vec2<f32>(-c, -s); }
    default: { return vec2<f32>(s, -c); }
  }
}

// Two independent standard normals from two words (Box–Muller): radius sqrt(−2 ln(1 − u)) with
// 1 − u in (0, 1] (so the logarithm is finite), angle 2π·u'.
fn boxMuller(words: vec2<u32>) -> vec2<f32> {
  let radius = sqrt(max(-2.0 * logUnitInterval(1.0 - unitFromWord(words.x)), 0.0));
  return radius * cosSinTurn(words.y >> 8u);
}

fn uniformAt(key: vec2<u32>, trainStep: u32, point: u32, jet: u32, n: u32) -> f32 {
  let words = randomBlock(key, trainStep, point, jet, n >> 2u);
  return unitFromWord(words[n & 3u]);
}

fn normalAt(key: vec2<u32>, trainStep: u32, point: u32, jet: u32, n: u32) -> f32 {
  let words = randomBlock(key, trainStep, point, jet, n >> 2u);
  let pair = select(words.xy, words.zw, ((n >> 1u) & 1u) == 1u);
  let z = boxMuller(pair);
  return select(z.x, z.y, (n & 1u) == 1u);
}

// (normalAt(4b), …, normalAt(4b + 3)): the same words through the same transforms.
fn normalBlock(key: vec2<u32>, trainStep: u32, point: u32, jet: u32, b: u32) -> vec4<f32> {
  let words = randomBlock(key, trainStep, point, jet, b);
  return vec4<f32>(boxMuller(words.xy), boxMuller(words.zw));
}

// ±1 with equal probability; one Philox block gives 128 signs.
fn rademacherAt(key: vec2<u32>, trainStep: u32, point: u32, jet: u32, n: u32) -> f32 {
  let words = randomBlock(key, trainStep, point, jet, n >> 7u);
  let bit = (words[(n >> 5u) & 3u] >> (n & 31u)) & 1u;
  return 1.0 - 2.0 * f32(bit);
}

struct WordStream {
  key: vec2<u32>,
  counter: vec4<u32>,
  words: vec4<u32>,
  next: u32,
}

fn wordStream(key: vec2<u32>, trainStep: u32, point: u32, jet: u32) -> WordStream {
  return WordStream(key, vec4<u32>(trainStep, point, jet, 0u), vec4<u32>(), 0u);
}

fn nextWord(stream: ptr<function, WordStream>) -> u32 {
  let lane = (*stream).next & 3u;
  if (lane == 0u) {
    (*stream).counter.w = (*stream).next >> 2u;
    (*stream).words = philox4x32((*stream).counter, (*stream).key);
  }
  (*stream).next += 1u;
  return (*stream).words[lane];
}

// A uniform integer in [0, n), n ≥ 1, exactly (Lemire, "Fast random integer generation in an
// interval", 2019): the high word of word·n is uniform once the products whose low word falls
// below 2^32 mod n are rejected, which leaves every result with exactly floor(2^32/n) preimages.
// A rejection happens with probability < n/2^32.
fn uniformBelow(stream: ptr<function, WordStream>, n: u32) -> u32 {
  let threshold = (0u - n) % n;
  loop {
    let product = mulHiLo(nextWord(stream), n);
    if (product.y >= threshold) {
      return product.x;
    }
  }
}
