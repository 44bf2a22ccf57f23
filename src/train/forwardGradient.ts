/**
 * The forward gradient (DESIGN.md §6): g = (∇_θL·v)·v with v ~ N(0, I) over the parameters, an
 * unbiased gradient estimate with no ε. v is generated from (seed, step) into the gradient buffer,
 * the graph's tangent channel reads it there and produces ∇L·v (one forward pass, no backward),
 * and the buffer is then scaled in place: no parameter-sized buffer beyond the gradient itself.
 *
 * Inline (trainingPlan.ts inlineGradient, without the rollback copy): not even that. The tangent
 * pass draws v where it reads it (ForwardJetConfig.drawnTangent, the same draws as the direction
 * dispatch writes), and the update sums g_i = (∇L·v)·v_i as it applies it (optimizers.ts
 * InlineGradient, estimate 'directional'): the same values, so the stored estimate's bits.
 */
import { type KernelCost, wordCost } from '../engine/kernelCost.ts';
import { reductionResultBytes } from '../engine/reductions.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { InlineGradient } from '../engine/optimizers.ts';
import type { BlockedTensor, ParameterBlocks } from '../engine/parameterBlocks.ts';
import {
  bindBuffer,
  type BoundDirectionDispatch,
  type DirectionConfig,
  DirectionStream,
  ParameterDirections,
  planParameterDirections,
} from './parameterDirections.ts';
import type { StepEncoder } from './boundedSubmits.ts';
import type { DirectionalDerivativeGraph } from './problemGraph.ts';

export interface ForwardGradientIo {
  parameters: BlockedTensor;
  /** Holds v during the pass, then the estimate; in θ's blocks. */
  gradient: BlockedTensor;
  stepCounter: GPUBuffer;
}

function directionConfig(config: { widths: readonly number[]; seed: number }): DirectionConfig {
  return { ...config, stream: DirectionStream.tangent, family: { kind: 'full' } };
}

const derivativeBuffer = storageBuffer('directional derivative', reductionResultBytes);

/**
 * What a ForwardGradientEstimator allocates: the directions' table, the 32-byte ∇L·v and the
 * uniforms of its two dispatches per parameter block of `blocks` (one block when absent; the
 * graph's tangent pass is the graph's); `inline`, ∇L·v alone.
 */
export function planForwardGradient(
  config: { widths: readonly number[]; seed: number },
  blocks?: ParameterBlocks,
  inline = false,
): readonly PlannedBuffer[] {
  if (inline) return [derivativeBuffer];
  const perBlock = blocks?.blocks.length ?? 1;
  return [
    ...planParameterDirections(directionConfig(config)).buffers,
    derivativeBuffer,
    ...Array.from({ length: perBlock }, () => [
      bindBuffer('direction'),
      bindBuffer('scale'),
    ]).flat(),
  ];
}

/** The stored estimate's dispatches: v written, then scaled into g, each once per block. */
interface StoredDirections {
  directions: ParameterDirections;
  writeDirection: readonly BoundDirectionDispatch[];
  scale: readonly BoundDirectionDispatch[];
  costs: { direction: KernelCost; scale: KernelCost };
}

export class ForwardGradientEstimator {
  /**
   * Inline: the gradient of step `trainStep` as the update sums it from ∇L·v; null for the
   * stored estimate, written to the gradient tensor.
   */
  readonly inlineGradient: ((trainStep: number) => InlineGradient) | null;

  private constructor(
    private readonly memory: GpuMemory,
    private readonly graph: DirectionalDerivativeGraph,
    /** Reduction result whose sum word is ∇L·v. */
    private readonly derivative: GPUBuffer,
    /** null inline. */
    private readonly stored: StoredDirections | null,
    seed: number,
  ) {
    this.inlineGradient = stored
      ? null
      : (trainStep) => ({
          kind: 'inline',
          estimate: 'directional',
          losses: derivative,
          seed,
          directionStream: DirectionStream.tangent,
          trainStep,
          directions: 1,
          epsilon: 0,
        });
  }

  /** Binds `graph`'s tangent channel to the gradient tensor. */
  static async create(
    memory: GpuMemory,
    config: { widths: readonly number[]; seed: number },
    io: ForwardGradientIo,
    graph: DirectionalDerivativeGraph,
  ): Promise<ForwardGradientEstimator> {
    const directions = await ParameterDirections.create(memory, directionConfig(config));
    const derivative = memory.create(derivativeBuffer.label, derivativeBuffer.bytes);
    const blocks = io.gradient.blocks.blocks;
    const perBlock = (entry: 'direction' | 'scale') =>
      blocks.map((block, k) =>
        directions.bind(
          entry,
          {
            stepCounter: io.stepCounter,
            parameters: io.parameters.buffers[k],
            losses: derivative,
            destination: io.gradient.buffers[k],
          },
          {},
          block,
        ),
      );
    const writeDirection = perBlock('direction');
    const scale = perBlock('scale');
    graph.setTangentParameters(io.gradient);
    // Stage costs for bounded submits (boundedSubmits.ts): v written, then read and written; the
    // normals' arithmetic (3.5 FLOPs each) is not counted.
    const count = directions.count;
    const costs = { direction: wordCost(0, 0, count), scale: wordCost(count, count, count) };
    const stored = { directions, writeDirection, scale, costs };
    return new ForwardGradientEstimator(memory, graph, derivative, stored, config.seed);
  }

  /**
   * The inline estimate over a graph whose tangent pass draws v itself (ForwardJetConfig.
   * drawnTangent): ∇L·v only, which the update reads (inlineGradient).
   */
  static createInline(
    memory: GpuMemory,
    config: { seed: number },
    graph: DirectionalDerivativeGraph,
  ): ForwardGradientEstimator {
    const derivative = memory.create(derivativeBuffer.label, derivativeBuffer.bytes);
    return new ForwardGradientEstimator(memory, graph, derivative, null, config.seed);
  }

  /**
   * Records v, the tangent pass (loss and ∇L·v) and g = (∇L·v)·v, each a stage of its own; inline,
   * the tangent pass alone.
   */
  encodeGradient(steps: StepEncoder): void {
    const stored = this.stored;
    if (!stored) {
      this.graph.encodeDirectionalDerivative(steps, this.derivative);
      return;
    }
    steps.beginStage(stored.costs.direction);
    const first = steps.encoder.beginComputePass({ label: 'forward gradient direction' });
    for (const dispatch of stored.writeDirection) dispatch.record(first);
    first.end();
    this.graph.encodeDirectionalDerivative(steps, this.derivative);
    steps.beginStage(stored.costs.scale);
    const last = steps.encoder.beginComputePass({ label: 'forward gradient' });
    for (const dispatch of stored.scale) dispatch.record(last);
    last.end();
  }

  destroy(): void {
    this.stored?.directions.destroy();
    this.memory.destroy(this.derivative);
  }
}
