/**
 * The forward gradient (DESIGN.md §6): g = (∇_θL·v)·v with v ~ N(0, I) over the parameters, an
 * unbiased gradient estimate with no ε. v is generated from (seed, step) into the gradient buffer,
 * the graph's tangent channel reads it there and produces ∇L·v (one forward pass, no backward),
 * and the buffer is then scaled in place: no parameter-sized buffer beyond the gradient itself.
 */
import { type KernelCost, wordCost } from '../engine/kernelCost.ts';
import { reductionResultBytes } from '../engine/reductions.ts';
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
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
  parameters: GPUBuffer;
  /** Holds v during the pass, then the estimate. */
  gradient: GPUBuffer;
  stepCounter: GPUBuffer;
}

function directionConfig(config: { widths: readonly number[]; seed: number }): DirectionConfig {
  return { ...config, stream: DirectionStream.tangent, family: { kind: 'full' } };
}

const derivativeBuffer = storageBuffer('directional derivative', reductionResultBytes);

/**
 * What a ForwardGradientEstimator allocates: the directions' table, the 32-byte ∇L·v and the
 * uniforms of its two dispatches (the graph's tangent pass is the graph's).
 */
export function planForwardGradient(config: {
  widths: readonly number[];
  seed: number;
}): readonly PlannedBuffer[] {
  return [
    ...planParameterDirections(directionConfig(config)).buffers,
    derivativeBuffer,
    bindBuffer('direction'),
    bindBuffer('scale'),
  ];
}

export class ForwardGradientEstimator {
  private constructor(
    private readonly memory: GpuMemory,
    private readonly directions: ParameterDirections,
    private readonly graph: DirectionalDerivativeGraph,
    /** Reduction result whose sum word is ∇L·v. */
    private readonly derivative: GPUBuffer,
    private readonly writeDirection: BoundDirectionDispatch,
    private readonly scale: BoundDirectionDispatch,
    private readonly costs: { direction: KernelCost; scale: KernelCost },
  ) {}

  /** Binds `graph`'s tangent channel to the gradient buffer. */
  static async create(
    memory: GpuMemory,
    config: { widths: readonly number[]; seed: number },
    io: ForwardGradientIo,
    graph: DirectionalDerivativeGraph,
  ): Promise<ForwardGradientEstimator> {
    const directions = await ParameterDirections.create(memory, directionConfig(config));
    const derivative = memory.create(derivativeBuffer.label, derivativeBuffer.bytes);
    const base = { stepCounter: io.stepCounter, parameters: io.parameters };
    const writeDirection = directions.bind('direction', {
      ...base,
      losses: derivative,
      destination: io.gradient,
    });
    const scale = directions.bind('scale', {
      ...base,
      losses: derivative,
      destination: io.gradient,
    });
    graph.setTangentParameters(io.gradient);
    // Stage costs for bounded submits (boundedSubmits.ts): v written, then read and written; the
    // normals' arithmetic (3.5 FLOPs each) is not counted.
    const count = directions.count;
    const costs = { direction: wordCost(0, 0, count), scale: wordCost(count, count, count) };
    return new ForwardGradientEstimator(
      memory,
      directions,
      graph,
      derivative,
      writeDirection,
      scale,
      costs,
    );
  }

  /** Records v, the tangent pass (loss and ∇L·v) and g = (∇L·v)·v, each a stage of its own. */
  encodeGradient(steps: StepEncoder): void {
    steps.beginStage(this.costs.direction);
    const first = steps.encoder.beginComputePass({ label: 'forward gradient direction' });
    this.writeDirection.record(first);
    first.end();
    this.graph.encodeDirectionalDerivative(steps, this.derivative);
    steps.beginStage(this.costs.scale);
    const last = steps.encoder.beginComputePass({ label: 'forward gradient' });
    this.scale.record(last);
    last.end();
  }

  destroy(): void {
    this.directions.destroy();
    this.memory.destroy(this.derivative);
  }
}
