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
 * copied out, all in one command encoder.
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
import { planResidualLoss, ResidualLoss, type ResidualLossPlan } from './residualLoss.ts';
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

/** The residual view of `count` points, from the problem, the network and the row budget alone. */
export interface ExactResidualPlan {
  readonly sizing: OperatorSizing;
  /** Points per chunk (every chunk but the last is full). */
  readonly chunk: number;
  readonly shape: JetShape;
  readonly tangentKind: TangentKind;
  readonly forward: ForwardJetConfig;
  readonly exact: ExactAtPointsPlan;
  readonly residual: ResidualLossPlan;
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
  const chunk = Math.max(1, Math.min(points.count, Math.floor(rowBudget / rows)));
  const shape = shapeOf(sizing, chunk, structure);
  const tangentKind = tangentKindOf(sizing);
  const label = (name: string) => `${points.label} ${name}`;
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
  const residual = planResidualLoss(
    { nonlinearity: pde.nonlinearity.id },
    chunk,
    rowsPerPoint(shape),
    false,
  );
  return {
    sizing,
    chunk,
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
      ...residual.buffers,
    ],
  };
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

export class ExactResidual {
  /** r at every point, count f32, written by encode(). */
  readonly residual: GPUBuffer;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly count: number,
    private readonly chunk: number,
    private readonly writeChunk: ChunkPointsRecorder,
    private readonly chunkResidual: GPUBuffer,
    private readonly forward: ForwardJet,
    private readonly exact: BallExactAtPoints,
    private readonly residualLoss: ResidualLoss,
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
    const allocate = (planned: PlannedBuffer) => {
      const buffer = memory.create(planned.label, planned.bytes);
      owned.push(buffer);
      return buffer;
    };
    const upload = (planned: PlannedBuffer, data: Float32Array | Int32Array) => {
      const buffer = memory.createFrom(planned.label, data);
      owned.push(buffer);
      return buffer;
    };
    const { named } = plan;
    try {
      allocate(named.residual);
      const x = allocate(named.chunkPoints);
      const inputs = uploadTangents(memory, operator, plan, seed, x, upload);
      const forward = await trainer.createViewJet(plan.forward, inputs);
      destroyers.push(() => forward.destroy());
      const exact = await BallExactAtPoints.create(memory, pde, d, seed, {
        buffer: x,
        count: plan.chunk,
        label: `${points.label} chunk`,
      });
      destroyers.push(() => exact.destroy());
      const chunkResidual = allocate(named.chunkResidual);
      const residualLoss = await ResidualLoss.build(
        memory,
        plan.residual,
        quantityRowWeights(operator.quantities[0].terms, plan.shape),
        null,
        {
          output: forward.buffers.output,
          source: exact.source,
          residual: chunkResidual,
          lossTerms: allocate(named.lossTerms),
          cotangent: allocate(named.cotangent),
        },
      );
      const writeChunk =
        'buffer' in points ? copiedChunks(points.buffer, d, x) : points.write(x, plan.chunk);
      return new ExactResidual(
        memory,
        points.count,
        plan.chunk,
        writeChunk,
        chunkResidual,
        forward,
        exact,
        residualLoss,
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
      this.forward.encode(encoder);
      const pass = encoder.beginComputePass({ label: 'residual view: r' });
      this.residualLoss.record(pass);
      pass.end();
      encoder.copyBufferToBuffer(this.chunkResidual, 0, this.residual, start * 4, n * 4);
    }
  }

  destroy(): void {
    this.forward.destroy();
    this.exact.destroy();
    this.residualLoss.destroy(this.memory);
    for (const buffer of this.owned) this.memory.destroy(buffer);
  }
}
