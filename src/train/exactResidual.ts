/**
 * The PDE residual r = L₀u_θ + N(u_θ) − f of a ball problem at a fixed set of points, with the
 * exact operator (every one-hot direction: no sampling noise), on the GPU: the same forward-jet,
 * source and residual kernels as a training step, bound to the trainer's parameter buffer. For
 * the dashboard's residual views, which must show the network's error in the PDE, not the
 * estimator's variance.
 *
 * The exact operator carries d jets per point (d² for the biharmonic), so at large d one batch
 * of all points would not fit: the points go through in chunks of at most `rowBudget` jet rows,
 * each chunk copied (or written: ResidualPoints) into the forward pass's input and its residuals
 * copied out, all in one command encoder. Where one point's jets alone pass the budget (the exact
 * Laplacian at d = 10⁶: 10⁶ + 2 rows, 1.5 GiB of layer buffers at width 128), the point's
 * directions go through in groups instead (DirectionGroups), and their estimates are summed.
 */
import { ForwardJet, type ForwardJetConfig, type TangentKind } from '../engine/forwardJet.ts';
import { type JetShape, rowsPerPoint } from '../engine/jetLayout.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import { quantityRowWeights } from '../operators/combine.ts';
import type { JetOperator } from '../operators/operator.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import {
  BallExactAtPoints,
  type ExactAtPointsPlan,
  planExactAtPoints,
} from './ballExactAtPoints.ts';
import { ballOperator, ballOperatorSizing } from './ballProblemGraph.ts';
import { type EngineLimits, forwardJetBuffers } from './enginePlans.ts';
import {
  fixedJetBuffers,
  type OperatorSizing,
  requireSizing,
  shapeOf,
  structureOf,
  tangentKindOf,
} from './operatorSizing.ts';
import {
  planResidualLoss,
  type ResidualBuffers,
  ResidualLoss,
  type ResidualLossPlan,
} from './residualLoss.ts';
import type { Trainer } from './trainer.ts';

/**
 * Jet rows per chunk: with a hidden width w a chunk's layer buffers hold about rowBudget·w
 * floats (8 MiB at w = 128), small next to any training batch the page allows.
 */
const defaultRowBudget = 16_384;

/** Records the coordinates of points [start, start + n) into the chunk buffer, n·d floats. */
export type ChunkPointsRecorder = (encoder: GPUCommandEncoder, start: number, n: number) => void;

/**
 * The points the residual is evaluated at: count × d row-major f32 points in a buffer, copied
 * chunk by chunk; or, where no such buffer exists (the residual view's redrawn points at large
 * d), `write`, which given the chunk buffer and the points per chunk records each chunk's points.
 */
export type ResidualPoints = { readonly count: number; readonly label: string } & (
  | { readonly buffer: GPUBuffer }
  | { readonly write: (chunkPoints: GPUBuffer, chunk: number) => ChunkPointsRecorder }
);

/** The chunks' copies out of a count × d points buffer. */
function copiedChunks(points: GPUBuffer, d: number, chunkPoints: GPUBuffer): ChunkPointsRecorder {
  return (encoder, start, n) =>
    encoder.copyBufferToBuffer(points, start * d * 4, chunkPoints, 0, n * d * 4);
}

/**
 * One point's directions in `count` groups of `size` (the last padded with zero tangents, which
 * add 0 to every row), one forward pass each. The operator's linear part is Σ_v w_v·u_v with the
 * same weight on every direction's rows (its terms read 'all' directions or the value), so it is
 * the sum of the groups' estimates Σ_v w_v·u_v over their rows, the value's term left out; the
 * point's residual is then pinnResidual.wgsl over the rows (u₀, e_0, …, e_{count−1}) with
 * weights (w_0, 1, …, 1): r = w_0·u₀ + Σ_g e_g + N(u₀) − f. Only one-hot jets are grouped: a
 * group's tangents are a slice of one table, copied into the pass's input before it runs.
 */
export interface DirectionGroups {
  readonly size: number;
  readonly count: number;
  /** A group's estimate: the residual kernel with no N(u), a zero source and no value term. */
  readonly estimate: ResidualLossPlan;
  /** The point's residual over the rows (u₀, e_0, …, e_{count−1}). */
  readonly sum: ResidualLossPlan;
  readonly named: {
    /** Every group's one-hot tangents, count·size·K slots. */
    readonly table: { coefficient: PlannedBuffer; index: PlannedBuffer };
    readonly zeroSource: PlannedBuffer;
    /** A group's estimate e_g, copied into row 1 + g of `rows`. */
    readonly estimate: PlannedBuffer;
    readonly rows: PlannedBuffer;
    readonly sumCotangent: PlannedBuffer;
  };
  /** What the groups allocate beyond the chunk's buffers. */
  readonly buffers: readonly PlannedBuffer[];
}

/** The residual view of `count` points, from the problem, the network and the row budget alone. */
export interface ExactResidualPlan {
  readonly sizing: OperatorSizing;
  /** Points per chunk (every chunk but the last is full); 1 where directions are grouped. */
  readonly chunk: number;
  /** Where one point's rows pass the budget and its jets are one-hot; else null. */
  readonly groups: DirectionGroups | null;
  /** One chunk's batch: `chunk` points of every direction, or one point of one group's. */
  readonly shape: JetShape;
  readonly tangentKind: TangentKind;
  readonly forward: ForwardJetConfig;
  readonly exact: ExactAtPointsPlan;
  /** The chunk's residual kernel; null where directions are grouped (DirectionGroups'). */
  readonly residual: ResidualLossPlan | null;
  readonly named: {
    readonly residual: PlannedBuffer;
    readonly chunkPoints: PlannedBuffer;
    readonly tangents:
      { values: PlannedBuffer } | { coefficient: PlannedBuffer; index: PlannedBuffer };
    readonly chunkResidual: PlannedBuffer;
    readonly lossTerms: PlannedBuffer;
    readonly cotangent: PlannedBuffer;
  };
  /** Every buffer `ExactResidual.create` allocates, the forward pass's included. */
  readonly buffers: readonly PlannedBuffer[];
}

export function planExactResidual(
  pde: BallPdeEntry,
  architecture: MlpArchitecture,
  points: { count: number; label: string },
  limits: EngineLimits,
  rowBudget = defaultRowBudget,
): ExactResidualPlan {
  const d = architecture.widths[0];
  const sizing = ballOperatorSizing(pde, { dimension: d, estimator: 'exact' }, d);
  const structure = structureOf(sizing, true);
  const rows = rowsPerPoint(shapeOf(sizing, 1, structure));
  const tangentKind = tangentKindOf(sizing);
  const groupSize = rows > rowBudget ? directionGroupSize(pde, d, sizing, structure, rowBudget) : 0;
  const chunk = Math.max(1, Math.min(points.count, Math.floor(rowBudget / rows)));
  const shape =
    groupSize > 0
      ? { ...shapeOf(sizing, 1, structure), directions: groupSize }
      : shapeOf(sizing, chunk, structure);
  const label = (name: string) => `${points.label} ${name}`;
  const groups = groupSize > 0 ? planDirectionGroups(pde, sizing, shape, label) : null;
  const named = {
    residual: storageBuffer(label('residual'), points.count * 4),
    chunkPoints: storageBuffer(label('chunk points'), chunk * d * 4),
    // The exact operator draws nothing: its jets are the same at every point and step.
    tangents: fixedJetBuffers(shape, d, tangentKind, {
      values: label('chunk tangents'),
      coefficient: label('chunk tangent coefficients'),
      index: label('chunk tangent indices'),
    }),
    chunkResidual: storageBuffer(label('chunk residual'), chunk * 4),
    // The loss terms and cotangent are a training step's; here they are scratch.
    lossTerms: storageBuffer(label('chunk loss terms'), chunk * 4),
    cotangent: storageBuffer(label('chunk cotangent'), chunk * rowsPerPoint(shape) * 4),
  };
  const forward: ForwardJetConfig = { architecture, shape, tangentKind, layerStorage: 'reused' };
  const exact = planExactAtPoints(pde, d, chunk, `${points.label} chunk`);
  const residual = groups
    ? null
    : planResidualLoss({ nonlinearity: pde.nonlinearity.id }, chunk, rowsPerPoint(shape), false);
  return {
    sizing,
    chunk,
    groups,
    shape,
    tangentKind,
    forward,
    exact,
    residual,
    named,
    buffers: [
      named.residual,
      named.chunkPoints,
      ...Object.values(named.tangents),
      ...forwardJetBuffers(forward, true, limits),
      ...exact.buffers,
      named.chunkResidual,
      named.lossTerms,
      named.cotangent,
      ...(residual ? residual.buffers : []),
      ...(groups ? groups.buffers : []),
    ],
  };
}

/** The groups of one point's directions, `shape` one group's batch (one point, `size` jets). */
function planDirectionGroups(
  pde: BallPdeEntry,
  sizing: OperatorSizing,
  shape: JetShape,
  label: (name: string) => string,
): DirectionGroups {
  const size = shape.directions;
  const count = Math.ceil(sizing.directions / size);
  const slots = count * size * shape.order;
  const sum = planResidualLoss({ nonlinearity: pde.nonlinearity.id }, 1, 1 + count, false);
  const estimate = planResidualLoss({ nonlinearity: 'none' }, 1, rowsPerPoint(shape), false);
  const named = {
    table: {
      coefficient: storageBuffer(label('group tangent coefficients'), slots * 4),
      index: storageBuffer(label('group tangent indices'), slots * 4),
    },
    zeroSource: storageBuffer(label('group zero source'), 4),
    estimate: storageBuffer(label('group estimate'), 4),
    rows: storageBuffer(label('group sum rows'), sum.rows * 4),
    sumCotangent: storageBuffer(label('group sum cotangent'), sum.rows * 4),
  };
  return {
    size,
    count,
    estimate,
    sum,
    named,
    buffers: [
      ...estimate.buffers,
      ...sum.buffers,
      named.table.coefficient,
      named.table.index,
      named.zeroSource,
      named.estimate,
      named.rows,
      named.sumCotangent,
    ],
  };
}

/**
 * Directions per group where a point's rows pass `rowBudget`: as many as the budget holds, or 0
 * (no groups) where the jets are dense or a term reads one direction rather than all of them.
 */
function directionGroupSize(
  pde: BallPdeEntry,
  d: number,
  sizing: OperatorSizing,
  structure: JetShape['structure'],
  rowBudget: number,
): number {
  if (tangentKindOf(sizing) !== 'oneHot') return 0;
  const terms = ballOperator(pde, { dimension: d, estimator: 'exact' }, d).quantities[0].terms;
  if (!terms.every((t) => t.order === 0 || t.direction === 'all')) return 0;
  const rowsOf = (directions: number) =>
    rowsPerPoint({ directions, order: sizing.order, structure });
  const perDirection = rowsOf(2) - rowsOf(1);
  return Math.max(1, Math.floor((rowBudget - (rowsOf(1) - perDirection)) / perDirection));
}

/**
 * The groups' tangent table: group g's jets are the point's jets [g·size, (g + 1)·size), each of
 * K slots, and past the last direction the zero tangent (index −1, coefficient 0).
 */
function directionGroupTable(
  tangents: { index: Int32Array; coefficient: Float32Array },
  groups: Pick<DirectionGroups, 'size' | 'count'>,
  order: number,
): { index: Int32Array; coefficient: Float32Array } {
  const slots = groups.count * groups.size * order;
  const index = new Int32Array(slots).fill(-1);
  const coefficient = new Float32Array(slots);
  index.set(tangents.index);
  coefficient.set(tangents.coefficient);
  return { index, coefficient };
}

/** The fixed jets of the exact operator for one chunk, uploaded as the plan names them. */
function uploadTangents(
  memory: GpuMemory,
  operator: JetOperator,
  plan: ExactResidualPlan,
  seed: number,
  x: GPUBuffer,
  upload: (planned: PlannedBuffer, data: Float32Array | Int32Array) => GPUBuffer,
): { x: GPUBuffer; tangents: GPUBuffer; tangentIndex: GPUBuffer | null } {
  const tangents = operator.tangents(plan.chunk, { seed, step: 0 });
  const named = plan.named.tangents;
  if (tangents.kind === 'dense' && 'values' in named) {
    return { x, tangents: upload(named.values, tangents.values), tangentIndex: null };
  }
  if (tangents.kind === 'oneHot' && 'index' in named) {
    return {
      x,
      tangents: upload(named.coefficient, tangents.coefficient),
      tangentIndex: upload(named.index, tangents.index),
    };
  }
  throw new Error(`${operator.name}: its jets are not the planned ${plan.tangentKind} ones`);
}

/** Records the chunk's r into the chunk residual, its points and source f already in place. */
type ChunkResidualRecorder = (encoder: GPUCommandEncoder) => void;

/** How `ExactResidual.create` allocates: everything is freed with the view, or on a failure. */
interface ResidualBuilder {
  allocate(planned: PlannedBuffer): GPUBuffer;
  upload(planned: PlannedBuffer, data: Float32Array | Int32Array): GPUBuffer;
  /** A residual kernel over `io`, the chunk's scratch loss terms and cotangent unless given. */
  residualLoss(
    plan: ResidualLossPlan,
    weights: Float64Array,
    io: Omit<ResidualBuffers, 'lossTerms' | 'cotangent'> & Partial<ResidualBuffers>,
  ): Promise<ResidualLoss>;
}

/** A ResidualBuilder whose buffers go to `owned` and kernels to `destroyers`. */
function residualBuilder(
  memory: GpuMemory,
  named: Pick<ExactResidualPlan['named'], 'lossTerms' | 'cotangent'>,
  owned: GPUBuffer[],
  destroyers: (() => void)[],
): ResidualBuilder {
  const keep = (buffer: GPUBuffer) => {
    owned.push(buffer);
    return buffer;
  };
  let scratch: Pick<ResidualBuffers, 'lossTerms' | 'cotangent'> | undefined;
  const builder: ResidualBuilder = {
    allocate: (planned) => keep(memory.create(planned.label, planned.bytes)),
    upload: (planned, data) => keep(memory.createFrom(planned.label, data)),
    residualLoss: async (plan, weights, io) => {
      scratch ??= {
        lossTerms: builder.allocate(named.lossTerms),
        cotangent: builder.allocate(named.cotangent),
      };
      const loss = await ResidualLoss.build(memory, plan, weights, null, { ...scratch, ...io });
      destroyers.push(() => loss.destroy(memory));
      return loss;
    },
  };
  return builder;
}

/** What every chunk's r is computed from: its forward pass, its source f and where r goes. */
interface ChunkPasses {
  readonly forward: ForwardJet;
  readonly source: GPUBuffer;
  readonly chunkResidual: GPUBuffer;
}

/** The ungrouped chunk: one forward pass of its points, then the residual kernel. */
async function chunkResidualOf(
  builder: ResidualBuilder,
  plan: ResidualLossPlan,
  weights: Float64Array,
  chunk: ChunkPasses,
): Promise<ChunkResidualRecorder> {
  const residualLoss = await builder.residualLoss(plan, weights, {
    output: chunk.forward.buffers.output,
    source: chunk.source,
    residual: chunk.chunkResidual,
  });
  return (encoder) => {
    chunk.forward.encode(encoder);
    const pass = encoder.beginComputePass({ label: 'residual view: r' });
    residualLoss.record(pass);
    pass.end();
  };
}

/**
 * The grouped point (DirectionGroups): per group its slice of the tangent table into the pass's
 * tangents, a forward pass and its estimate into row 1 + g; then r over the rows.
 */
async function groupedResidualOf(
  builder: ResidualBuilder,
  groups: DirectionGroups,
  operator: JetOperator,
  seed: number,
  shape: JetShape,
  chunk: ChunkPasses & { readonly tangents: { coefficient: GPUBuffer; index: GPUBuffer } },
): Promise<ChunkResidualRecorder> {
  const tangents = operator.tangents(1, { seed, step: 0 });
  if (tangents.kind !== 'oneHot')
    throw new Error(`${operator.name}: only one-hot jets are grouped`);
  const { named } = groups;
  const table = directionGroupTable(tangents, groups, shape.order);
  const tableBuffers = {
    coefficient: builder.upload(named.table.coefficient, table.coefficient),
    index: builder.upload(named.table.index, table.index),
  };
  const terms = operator.quantities[0].terms;
  const directionTerms = terms.filter((t) => t.order > 0);
  const estimateValue = builder.allocate(named.estimate);
  const estimate = await builder.residualLoss(
    groups.estimate,
    quantityRowWeights(directionTerms, shape),
    {
      output: chunk.forward.buffers.output,
      source: builder.allocate(named.zeroSource),
      residual: estimateValue,
    },
  );
  const rows = builder.allocate(named.rows);
  const sumWeights = new Float64Array(groups.sum.rows).fill(1);
  sumWeights[0] = quantityRowWeights(
    terms.filter((t) => t.order === 0),
    shape,
  )[0];
  const sum = await builder.residualLoss(groups.sum, sumWeights, {
    output: rows,
    source: chunk.source,
    residual: chunk.chunkResidual,
    cotangent: builder.allocate(named.sumCotangent),
  });
  const groupBytes = groups.size * shape.order * 4;
  return (encoder) => {
    for (let g = 0; g < groups.count; g++) {
      for (const part of ['coefficient', 'index'] as const) {
        const to = chunk.tangents[part];
        encoder.copyBufferToBuffer(tableBuffers[part], g * groupBytes, to, 0, groupBytes);
      }
      chunk.forward.encode(encoder);
      const pass = encoder.beginComputePass({ label: 'residual view: group estimate' });
      estimate.record(pass);
      pass.end();
      // Row 0 of the sum is u₀, the same in every group's pass.
      if (g === 0) encoder.copyBufferToBuffer(chunk.forward.buffers.output, 0, rows, 0, 4);
      encoder.copyBufferToBuffer(estimateValue, 0, rows, (1 + g) * 4, 4);
    }
    const pass = encoder.beginComputePass({ label: 'residual view: r' });
    sum.record(pass);
    pass.end();
  };
}

export class ExactResidual {
  /** r at every point, count f32, written by encode(). */
  readonly residual: GPUBuffer;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly count: number,
    private readonly chunk: number,
    private readonly writeChunk: ChunkPointsRecorder,
    private readonly recordResidual: ChunkResidualRecorder,
    private readonly chunkResidual: GPUBuffer,
    private readonly exact: BallExactAtPoints,
    private readonly destroyers: readonly (() => void)[],
    private readonly owned: GPUBuffer[],
  ) {
    this.residual = owned[0];
  }

  /** Points per chunk (every chunk but the last is full). */
  get chunkSize(): number {
    return this.chunk;
  }

  /** Bound to the model the trainer shows (Trainer.createViewJet), as the field views are. */
  static async create(
    trainer: Trainer,
    pde: BallPdeEntry,
    points: ResidualPoints,
    rowBudget = defaultRowBudget,
  ): Promise<ExactResidual> {
    const memory = trainer.memory;
    const plan = planExactResidual(
      pde,
      trainer.architecture,
      points,
      memory.device.limits,
      rowBudget,
    );
    const d = trainer.options.dimension;
    const { seed } = trainer.options;
    const operator = ballOperator(pde, { dimension: d, estimator: 'exact' }, d);
    requireSizing(operator, plan.sizing);
    const owned: GPUBuffer[] = [];
    const destroyers: (() => void)[] = [];
    const { named, groups } = plan;
    const builder = residualBuilder(memory, named, owned, destroyers);
    try {
      builder.allocate(named.residual);
      const x = builder.allocate(named.chunkPoints);
      // Grouped, the pass's tangents are written from the table before each group.
      const inputs =
        groups && 'index' in named.tangents
          ? {
              x,
              tangents: builder.allocate(named.tangents.coefficient),
              tangentIndex: builder.allocate(named.tangents.index),
            }
          : uploadTangents(memory, operator, plan, seed, x, builder.upload);
      const forward = await trainer.createViewJet(plan.forward, inputs);
      destroyers.push(() => forward.destroy());
      const exact = await BallExactAtPoints.create(memory, pde, d, seed, {
        buffer: x,
        count: plan.chunk,
        label: `${points.label} chunk`,
      });
      destroyers.push(() => exact.destroy());
      const chunk = {
        forward,
        source: exact.source,
        chunkResidual: builder.allocate(named.chunkResidual),
      };
      let recordResidual: ChunkResidualRecorder;
      if (groups && inputs.tangentIndex) {
        const tangents = { coefficient: inputs.tangents, index: inputs.tangentIndex };
        recordResidual = await groupedResidualOf(builder, groups, operator, seed, plan.shape, {
          ...chunk,
          tangents,
        });
      } else if (plan.residual) {
        const weights = quantityRowWeights(operator.quantities[0].terms, plan.shape);
        recordResidual = await chunkResidualOf(builder, plan.residual, weights, chunk);
      } else {
        throw new Error('the residual view was planned with neither groups nor a chunk residual');
      }
      const writeChunk =
        'buffer' in points ? copiedChunks(points.buffer, d, x) : points.write(x, plan.chunk);
      return new ExactResidual(
        memory,
        points.count,
        plan.chunk,
        writeChunk,
        recordResidual,
        chunk.chunkResidual,
        exact,
        destroyers,
        owned,
      );
    } catch (error) {
      for (const destroy of destroyers) destroy();
      for (const buffer of owned) memory.destroy(buffer);
      throw error;
    }
  }

  /** Records r at every point into `residual` (the trainer's shown model as it is then). */
  encode(encoder: GPUCommandEncoder): void {
    for (let start = 0; start < this.count; start += this.chunk) {
      const n = Math.min(this.chunk, this.count - start);
      // A short last chunk leaves the previous chunk's points in the tail: their residuals are
      // computed and not copied out.
      this.writeChunk(encoder, start, n);
      const source = encoder.beginComputePass({ label: 'residual view: source f' });
      this.exact.record(source);
      source.end();
      this.recordResidual(encoder);
      encoder.copyBufferToBuffer(this.chunkResidual, 0, this.residual, start * 4, n * 4);
    }
  }

  destroy(): void {
    for (const destroy of this.destroyers) destroy();
    for (const buffer of this.owned) this.memory.destroy(buffer);
  }
}
