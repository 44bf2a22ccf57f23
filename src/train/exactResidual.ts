/**
 * The PDE residual r = L₀u_θ + N(u_θ) − f of a ball problem at a fixed set of points, with the
 * exact operator (every one-hot direction: no sampling noise), on the GPU: the same forward-jet,
 * source and residual kernels as a training step, bound to the trainer's parameter buffer. For
 * the dashboard's residual views, which must show the network's error in the PDE, not the
 * estimator's variance.
 *
 * The exact operator carries d jets per point (d² for the biharmonic), so at large d one batch
 * of all points would not fit: the points go through in chunks of at most `rowBudget` jet rows,
 * each chunk copied into the forward pass's input and its residuals copied out, all in one
 * command encoder.
 */
import { ForwardJet } from '../engine/forwardJet.ts';
import { rowsPerPoint } from '../engine/jetLayout.ts';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { quantityRowWeights } from '../operators/combine.ts';
import type { BallPdeEntry } from '../pdes/index.ts';
import { BallExactAtPoints } from './ballExactAtPoints.ts';
import { ballOperator } from './ballProblemGraph.ts';
import { ResidualLoss } from './residualLoss.ts';
import type { Trainer } from './trainer.ts';

/**
 * Jet rows per chunk: with a hidden width w a chunk's layer buffers hold about rowBudget·w
 * floats (8 MiB at w = 128), small next to any training batch the page allows.
 */
const defaultRowBudget = 16_384;

export interface ResidualPoints {
  /** count × d row-major f32 points. */
  buffer: GPUBuffer;
  count: number;
  label: string;
}

export class ExactResidual {
  /** r at every point, count f32, written by encode(). */
  readonly residual: GPUBuffer;

  private constructor(
    private readonly memory: GpuBuffers,
    private readonly points: ResidualPoints,
    private readonly dimension: number,
    private readonly chunk: number,
    private readonly chunkPoints: GPUBuffer,
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

  static async create(
    trainer: Trainer,
    pde: BallPdeEntry,
    points: ResidualPoints,
    rowBudget = defaultRowBudget,
  ): Promise<ExactResidual> {
    const memory = trainer.memory;
    const d = trainer.options.dimension;
    const { seed } = trainer.options;
    const operator = ballOperator(pde, { dimension: d, estimator: 'exact' }, d);
    const structure = operator.collapsible ? 'collapsed' : 'standard';
    const rows = rowsPerPoint(operator.shape(1, structure));
    const chunk = Math.max(1, Math.min(points.count, Math.floor(rowBudget / rows)));
    const shape = operator.shape(chunk, structure);
    const owned: GPUBuffer[] = [];
    const destroyers: (() => void)[] = [];
    const allocate = (label: string, bytes: number) => {
      const buffer = memory.create(`${points.label} ${label}`, bytes);
      owned.push(buffer);
      return buffer;
    };
    const upload = (label: string, data: Float32Array | Int32Array) => {
      const buffer = memory.createFrom(`${points.label} ${label}`, data);
      owned.push(buffer);
      return buffer;
    };
    try {
      allocate('residual', points.count * 4);
      const x = allocate('chunk points', chunk * d * 4);
      // The exact operator draws nothing: its jets are the same at every point and step.
      const tangents = operator.tangents(chunk, { seed, step: 0 });
      const inputs =
        tangents.kind === 'dense'
          ? { x, tangents: upload('chunk tangents', tangents.values), tangentIndex: null }
          : {
              x,
              tangents: upload('chunk tangent coefficients', tangents.coefficient),
              tangentIndex: upload('chunk tangent indices', tangents.index),
            };
      const forward = await ForwardJet.create(
        memory,
        {
          architecture: trainer.architecture,
          shape,
          tangentKind: tangents.kind,
          layerStorage: 'reused',
        },
        trainer.parameterBuffer,
        inputs,
      );
      destroyers.push(() => forward.destroy());
      const exact = await BallExactAtPoints.create(memory, pde, d, seed, {
        buffer: x,
        count: chunk,
        label: `${points.label} chunk`,
      });
      destroyers.push(() => exact.destroy());
      const chunkResidual = allocate('chunk residual', chunk * 4);
      const residualLoss = await ResidualLoss.create(
        memory,
        { nonlinearity: pde.nonlinearity.id },
        chunk,
        quantityRowWeights(operator.quantities[0].terms, shape),
        null,
        {
          output: forward.buffers.output,
          source: exact.source,
          residual: chunkResidual,
          // The loss terms and cotangent are a training step's; here they are scratch.
          lossTerms: allocate('chunk loss terms', chunk * 4),
          cotangent: allocate('chunk cotangent', chunk * rowsPerPoint(shape) * 4),
        },
      );
      return new ExactResidual(
        memory,
        points,
        d,
        chunk,
        x,
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

  /** Records r at every point into `residual` (the trainer's parameters as they are then). */
  encode(encoder: GPUCommandEncoder): void {
    const d = this.dimension;
    for (let start = 0; start < this.points.count; start += this.chunk) {
      const n = Math.min(this.chunk, this.points.count - start);
      // A short last chunk leaves the previous chunk's points in the tail: their residuals are
      // computed and not copied out.
      encoder.copyBufferToBuffer(this.points.buffer, start * d * 4, this.chunkPoints, 0, n * d * 4);
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
