/**
 * The loss of a high-order box problem on the GPU (shaders/highOrderResidual.wgsl): residuals from
 * the fixed jets' quantities at the collocation points, the data misfit at the face points, the
 * loss terms and ∂L/∂u for every output row. `planHighOrderLoss` lays it out from the problem and
 * the batch's sizes alone; `HighOrderLoss.build` compiles, uploads and binds what it says.
 */
import residualCode from '../../shaders/highOrderResidual.wgsl?raw';
import { type JetShape, rowsPerPoint } from '../engine/jetLayout.ts';
import { type PlannedBuffer, storageBuffer, uniformBuffer } from '../gpu/bufferPlan.ts';
import { composeShader } from '../gpu/composeShader.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import { lib } from '../gpu/shaderLibrary.ts';
import { reflectStructView, type StructValue, type StructView } from '../gpu/structView.ts';
import { quantityRowWeights } from '../operators/combine.ts';
import type { JetOperator } from '../operators/operator.ts';
import { GKDV_DISPERSION, type HighOrderId, type HighOrderProblem } from '../pdes/highOrder.ts';
import type { ResidualTerm } from '../pdes/residualTerms.ts';
import { phaseRate } from '../pdes/travellingWave.ts';

/** highOrderResidual.wgsl's PROBLEM override. */
const PROBLEM: Record<HighOrderId, number> = { 'kdv-2d': 0, 'kp-2d': 1, 'gkdv-1d': 2 };
const WORKGROUP_SIZE = 64;
/** The kernel's MAX_QUANTITIES and the length of its termWeights. */
const MAX_QUANTITIES = 9;
const MAX_TERMS = 4;

const PARTS = [
  lib.accurateMath,
  lib.activations,
  lib.grid,
  { name: 'highOrderResidual.wgsl', code: residualCode },
];

let paramsView: StructView | undefined;
function paramsViewOf(): StructView {
  return (paramsView ??= reflectStructView(composeShader(PARTS), 'params'));
}

export interface HighOrderLossPlan {
  readonly points: number;
  readonly constants: Record<string, number>;
  /** highOrderResidual.wgsl's Params, by field name. */
  readonly params: StructValue;
  readonly workgroups: number;
  readonly named: { readonly params: PlannedBuffer; readonly weights: PlannedBuffer };
  readonly buffers: readonly PlannedBuffer[];
}

/** A residual term's weight in the loss: its own, times gradientWeight for a gradient term. */
export function residualWeight(term: ResidualTerm, gradientWeight: number): number {
  return term.gradientEnhanced ? term.weight * gradientWeight : term.weight;
}

/**
 * The loss of `problem` on a batch of `interior` collocation and `data` face points of `shape`
 * (`shape.points` = interior + data), the data misfit weighted by `dataWeight` (λ), the
 * gradient-enhanced residual terms by `gradientWeight` beyond their own weight.
 */
export function planHighOrderLoss(
  problem: HighOrderProblem,
  shape: JetShape,
  interior: number,
  dataWeight: number,
  gradientWeight: number,
): HighOrderLossPlan {
  const rows = rowsPerPoint(shape);
  const total = shape.points;
  const data = total - interior;
  if (interior < 1 || data < 1) {
    throw new RangeError(
      `a box batch needs collocation and data points, got ${interior} + ${data}`,
    );
  }
  const quantities = problem.outputs.length;
  if (quantities > MAX_QUANTITIES || problem.residuals.length > MAX_TERMS) {
    throw new RangeError(`${problem.id}: more quantities or residual terms than the kernel holds`);
  }
  const { wave } = problem.exact;
  const pad = (values: readonly number[]) => [...values, 0, 0, 0, 0].slice(0, 4);
  const named = {
    params: uniformBuffer('high-order loss params', paramsViewOf().size),
    weights: storageBuffer('high-order quantity weights', quantities * rows * 4),
  };
  return {
    points: total,
    constants: { WORKGROUP_SIZE, PROBLEM: PROBLEM[problem.id] },
    params: {
      interior,
      data,
      rows,
      quantities,
      width: problem.variables.length,
      dispersion: GKDV_DISPERSION,
      residualTermScale: total / interior,
      dataTermScale: (dataWeight * total) / data,
      residualGradientScale: 2 / interior,
      dataGradientScale: (2 * dataWeight) / data,
      waveAmplitude: wave.amplitude,
      waveProfile: wave.profile === 'tanh' ? 0 : 1,
      wavePhase: wave.phase,
      termWeights: pad(problem.residuals.map((term) => residualWeight(term, gradientWeight))),
      waveRates: pad(problem.variables.map((v) => phaseRate(wave, v))),
    },
    workgroups: Math.ceil(total / WORKGROUP_SIZE),
    named,
    buffers: [named.params, named.weights],
  };
}

/** W, quantity-major: the row weights of each of the operator's outputs, in its order. */
export function quantityWeights(operator: JetOperator, shape: JetShape): Float64Array {
  const rows = quantityRowWeights(operator.quantities[0].terms, shape).length;
  const W = new Float64Array(operator.quantities.length * rows);
  operator.quantities.forEach((q, k) => W.set(quantityRowWeights(q.terms, shape), k * rows));
  return W;
}

export interface HighOrderLossBuffers {
  output: GPUBuffer;
  points: GPUBuffer;
  lossTerms: GPUBuffer;
  cotangent: GPUBuffer;
}

export class HighOrderLoss {
  private constructor(
    private readonly kernel: ComputeKernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly owned: GPUBuffer[],
    private readonly workgroups: number,
  ) {}

  static async build(
    memory: GpuMemory,
    plan: HighOrderLossPlan,
    weights: Float64Array,
    io: HighOrderLossBuffers,
  ): Promise<HighOrderLoss> {
    if (weights.length * 4 !== plan.named.weights.bytes) {
      throw new RangeError(
        `high-order loss: the plan has ${plan.named.weights.bytes / 4} weights, got ${weights.length}`,
      );
    }
    const kernel = await cachedKernel(memory.device, PARTS, { constants: plan.constants });
    const owned = [
      memory.createUniform(plan.named.params.label, kernel.struct('params'), plan.params),
      memory.createFrom(plan.named.weights.label, Float32Array.from(weights)),
    ];
    const bindGroup = kernel.bind({ params: owned[0], weights: owned[1], ...io });
    return new HighOrderLoss(kernel, bindGroup, owned, plan.workgroups);
  }

  record(pass: GPUComputePassEncoder): void {
    this.kernel.dispatch(pass, this.bindGroup, this.workgroups);
  }

  destroy(memory: GpuMemory): void {
    for (const buffer of this.owned) memory.destroy(buffer);
  }
}
