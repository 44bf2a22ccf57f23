// zerothOrder.wgsl: the parameter-space random directions of backprop-free training (DESIGN.md §6),
// regenerated from Philox counters instead of stored (the MeZO trick). Composes
// (src/gpu/composeShader.ts, in front of this file): lib/random.wgsl (Philox), lib/twoPoint.wgsl
// (the full direction, trial value and two-point coefficient, shared with the inline variants of
// jetForward.wgsl and optimizersChecked.wgsl), lib/grid.wgsl, lib/finiteBits.wgsl (summarize's
// first non-finite loss).
//
// Direction j of step s over the flat parameter vector (jetLayout.parameterLayout):
//   full (SUBSPACE = 0): z[i] = N(0, 1) at key (seed, directionStream), counter (s, j, 0, i).
//   subspace (SUBSPACE = 1), per layer l with weight W (m × n, row-major) and bias b (m):
//     z_W = U·Z·Vᵀ,  z_b = U·ζ,  U (m × r) and V (n × r) with N(0, 1/r) entries drawn at key
//     (seed, subspaceStream), counter (period, l, 0 | 1, ·) where period = (s − 1)/T₀, so they
//     change every T₀ steps; Z (r × r) and ζ (r) N(0, 1) at (seed, directionStream), counter
//     (s, j, l + 1, ·). Then E[z zᵀ] = I over (U, V, Z, ζ): E[z_ab z_cd] = Σ_ik E[U_ai U_ci]·
//     E[V_bk V_dk] = δ_ac δ_bd, so (∇L·z)·z is an unbiased gradient estimate over subspaces, while
//     within one period it explores only r² + r directions per layer. Each invocation reads its
//     rows of U and V once (⌈r/4⌉ + 1 Philox blocks each: four normals per block, NormalRun) and
//     ⌈r²/4⌉ + 1 blocks of Z per direction; r ≤ MAX_RANK = 64.
//
// Entry points (all bind the same six buffers; which ones they read is said per entry):
//   perturb   : destination = θ + scale·z_j  (scale = ±ε; the trial point of a two-point estimate)
//   combine   : destination = Σ_j c_j·z_j,  c_j = (losses[2j] − losses[2j + 1])/(2ε·q): the SPSA
//               gradient estimate, losses[2j] = L(θ + εz_j), losses[2j + 1] = L(θ − εz_j)
//   direction : destination = z_0 of the full family (the forward gradient's tangent v)
//   scale     : destination *= losses[0]  (losses bound to a reduction result: word 0 is the sum ∇L·v)
//   summarize : destination[0..8] = reduce.wgsl's result layout for the 2q losses (sum, sum of squares,
//               max |L|, first non-finite index, count, mean, mean of squares, norm); one invocation.
//               Its mean (L₊ + L₋ averaged) is L(θ) + O(ε²): the loss the trainer logs.
//
// Bindings (@group(0)):
//   0 params      : uniform Params (below)
//   1 layers      : uniform array<vec4<u32>, MAX_LAYERS>: (weightOffset, biasOffset, inputs,
//                   outputs) of each layer (subspace only)
//   2 stepCounter : storage, read        word 0 = training step s (random/stepCounter.ts)
//   3 parameters  : storage, read        θ (perturb)
//   4 losses      : storage, read        2q losses (combine, summarize) or a reduction result (scale)
//   5 destination : storage, read_write  trial point, gradient or loss statistics
// Workgroup: (WORKGROUP_SIZE, 1, 1), one invocation per parameter (lib/grid.wgsl: WORKGROUP_SIZE,
// default 64, and invocationIndex); dispatch a 2-D grid of workgroups (x·WORKGROUP_SIZE per row of
// y) covering `count`; summarize: one workgroup.
//
// Parameter blocks (src/engine/parameterBlocks.ts): a parameter-sized tensor may be held in several
// buffers, each the flat range [start, start + count). The per-parameter entries run once per block
// with that block's buffers bound and params.start its first flat index: invocation i handles local
// element i, flat index start + i, and z is drawn (and the subspace layer looked up) at the flat
// index, so a split tensor holds the same bits as a whole one. One block: start = 0.

struct Params {
  count: u32,
  seed: u32,
  directionStream: u32,
  subspaceStream: u32,
  rank: u32,
  period: u32,
  layerCount: u32,
  directions: u32,
  direction: u32,
  epsilon: f32,
  scale: f32,
  // Flat index of the bound block's first element (0 for a whole tensor).
  start: u32,
}

const MAX_LAYERS: u32 = 33u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> layers: array<vec4<u32>, MAX_LAYERS>;
@group(0) @binding(2) var<storage, read> stepCounter: array<u32>;
@group(0) @binding(3) var<storage, read> parameters: array<f32>;
@group(0) @binding(4) var<storage, read> losses: array<f32>;
@group(0) @binding(5) var<storage, read_write> destination: array<f32>;

override SUBSPACE: bool = false;

const MAX_RANK: u32 = 64u;

// Normals n = first, first + 1, … of one Philox sequence (key, c0, c1, c2), read in order: each
// block of four words gives four normals (random.wgsl's normalAt layout), so a run of m normals
// costs ⌈m/4⌉ + 1 Philox calls instead of m.
struct NormalRun {
  key: vec2<u32>,
  counter: vec3<u32>,
  block: u32,
  normals: vec4<f32>,
}

fn normalRun(key: vec2<u32>, c0: u32, c1: u32, c2: u32) -> NormalRun {
  return NormalRun(key, vec3<u32>(c0, c1, c2), 0xFFFFFFFFu, vec4<f32>());
}

fn normalOf(run: ptr<function, NormalRun>, n: u32) -> f32 {
  let wanted = n >> 2u;
  let cached = (*run).block;
  if (wanted != cached) {
    let c = (*run).counter;
    (*run).normals = normalBlock((*run).key, c.x, c.y, c.z, wanted);
    (*run).block = wanted;
  }
  return (*run).normals[n & 3u];
}

// The per-element part of a subspace direction: the layer, the element's row of U and, for a
// weight, its row of V (both fixed for the whole period, shared by every direction j).
struct SubspaceElement {
  layer: u32,
  isBias: bool,
  u: array<f32, MAX_RANK>,
  v: array<f32, MAX_RANK>,
}

// i: the flat parameter index (the layer table's offsets are flat).
fn subspaceElement(step: u32, i: u32) -> SubspaceElement {
  var element = SubspaceElement();
  let period = (step - 1u) / params.period;
  let r = params.rank;
  var l = 0u;
  while (l + 1u < params.layerCount && i >= layers[l + 1u].x) {
    l++;
  }
  let layer = layers[l];
  element.layer = l;
  element.isBias = i >= layer.y;
  let key = vec2<u32>(params.seed, params.subspaceStream);
  let scale = inverseSqrt(f32(r));
  // Entry (row, k) of U (factor 0) or V (factor 1) of layer l is normal number row·r + k.
  var a = i - layer.y;
  if (!element.isBias) {
    a = (i - layer.x) / layer.z;
    let b = (i - layer.x) % layer.z;
    var vRun = normalRun(key, period, l, 1u);
    for (var k = 0u; k < r; k++) {
      element.v[k] = scale * normalOf(&vRun, b * r + k);
    }
  }
  var uRun = normalRun(key, period, l, 0u);
  for (var k = 0u; k < r; k++) {
    element.u[k] = scale * normalOf(&uRun, a * r + k);
  }
  return element;
}

// z_j of the element: (U·Z_j·Vᵀ)_ab = Σ_k U_ak Σ_c Z_kc V_bc, or (U·ζ_j)_a; Z_kc is normal
// number k·r + c and ζ_k number r·r + k of (step, j, l + 1).
fn subspaceValue(element: ptr<function, SubspaceElement>, step: u32, j: u32) -> f32 {
  let r = params.rank;
  var small = normalRun(
    vec2<u32>(params.seed, params.directionStream),
    step,
    j,
    (*element).layer + 1u,
  );
  var sum = 0.0;
  if ((*element).isBias) {
    for (var k = 0u; k < r; k++) {
      sum += (*element).u[k] * normalOf(&small, r * r + k);
    }
    return sum;
  }
  for (var k = 0u; k < r; k++) {
    var zv = 0.0;
    for (var c = 0u; c < r; c++) {
      zv += normalOf(&small, k * r + c) * (*element).v[c];
    }
    sum += (*element).u[k] * zv;
  }
  return sum;
}

fn fullValue(step: u32, j: u32, i: u32) -> f32 {
  return fullDirection(vec2<u32>(params.seed, params.directionStream), step, j, i);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn perturb(grid: GridInvocation) {
  let i = invocationIndex(grid);
  if (i >= params.count) {
    return;
  }
  let flat = params.start + i;
  let step = stepCounter[0];
  var z = 0.0;
  if (SUBSPACE) {
    var element = subspaceElement(step, flat);
    z = subspaceValue(&element, step, params.direction);
  } else {
    z = fullValue(step, params.direction, flat);
  }
  destination[i] = trialValue(parameters[i], params.scale, z);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn combine(grid: GridInvocation) {
  let i = invocationIndex(grid);
  if (i >= params.count) {
    return;
  }
  let flat = params.start + i;
  let step = stepCounter[0];
  let q = params.directions;
  var element = SubspaceElement();
  if (SUBSPACE) {
    element = subspaceElement(step, flat);
  }
  var sum = 0.0;
  for (var j = 0u; j < q; j++) {
    let c = twoPointCoefficient(losses[2u * j], losses[2u * j + 1u], params.epsilon, q);
    var z = 0.0;
    if (SUBSPACE) {
      z = subspaceValue(&element, step, j);
    } else {
      z = fullValue(step, j, flat);
    }
    sum += c * z;
  }
  destination[i] = sum;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn direction(grid: GridInvocation) {
  let i = invocationIndex(grid);
  if (i < params.count) {
    destination[i] = fullValue(stepCounter[0], 0u, params.start + i);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scale(grid: GridInvocation) {
  let i = invocationIndex(grid);
  if (i < params.count) {
    destination[i] = losses[0] * destination[i];
  }
}

@compute @workgroup_size(1)
fn summarize() {
  let n = 2u * params.directions;
  var sum = 0.0;
  var squares = 0.0;
  var maxAbs = 0.0;
  var firstNonFinite = ALL_FINITE;
  for (var k = 0u; k < n; k++) {
    let x = losses[k];
    if (!isFiniteBits(bitcast<u32>(x)) && firstNonFinite == ALL_FINITE) {
      firstNonFinite = k;
    }
    sum += x;
    squares += x * x;
    maxAbs = max(maxAbs, abs(x));
  }
  destination[0] = sum;
  destination[1] = squares;
  destination[2] = maxAbs;
  destination[3] = bitcast<f32>(firstNonFinite);
  destination[4] = bitcast<f32>(n);
  destination[5] = sum / f32(n);
  destination[6] = squares / f32(n);
  destination[7] = sqrt(squares);
}
