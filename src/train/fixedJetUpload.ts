/**
 * The upload of a fixed jet construction (the exact biharmonic, the box problems' mixed partials):
 * its tangents, the same at every point and step, go once into the buffers fixedJetBuffers
 * planned (operatorSizing.ts), and the forward pass reads them from there.
 */
import type { TangentInput } from '../engine/jetLayout.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import type { JetOperator } from '../operators/operator.ts';
import type { FixedJetBuffers } from './operatorSizing.ts';

/** The tangent inputs of a forward pass (tangentIndex only for one-hot tangents). */
export interface TangentBuffers {
  tangents: GPUBuffer;
  tangentIndex: GPUBuffer | null;
}

/**
 * Uploads `operator`'s fixed tangents for `points` points into the planned buffers; the new
 * buffers are pushed onto `owned` for the caller to free.
 */
export function uploadFixedJets(
  memory: GpuMemory,
  named: FixedJetBuffers,
  operator: JetOperator,
  points: number,
  owned: GPUBuffer[],
): TangentBuffers {
  if (operator.draw.kind !== 'fixed') {
    throw new Error(`${operator.name}: its jets are drawn per step, not a fixed construction`);
  }
  // A fixed construction ignores the draw key.
  const fixed: TangentInput = operator.tangents(points, { seed: 0, step: 0 });
  if (fixed.kind === 'dense' && 'values' in named) {
    const values = memory.createFrom(named.values.label, fixed.values);
    owned.push(values);
    return { tangents: values, tangentIndex: null };
  }
  if (fixed.kind === 'oneHot' && 'index' in named) {
    const coefficient = memory.createFrom(named.coefficient.label, fixed.coefficient);
    const index = memory.createFrom(named.index.label, fixed.index);
    owned.push(coefficient, index);
    return { tangents: coefficient, tangentIndex: index };
  }
  const planned = 'values' in named ? 'dense' : 'oneHot';
  throw new Error(`${operator.name}: its fixed jets are not the planned ${planned} ones`);
}
