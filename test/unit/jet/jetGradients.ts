import {
  type AnyMlpParameters,
  type MlpArchitecture,
  type MlpParameters,
  zeroParameters,
} from '../../../src/jet/mlp.ts';
import {
  referenceForwardJet,
  type JetForwardResult,
  reverseJet,
} from '../../../src/jet/referenceJet.ts';
import type { JetInput } from '../../../src/jet/vectorJet.ts';

/** A scalar loss of many jets' output coefficients, with its cotangents. */
export interface JetLossValue {
  value: number;
  /** cotangents[j][o][k] = dL/du_k of output o of jet j. */
  cotangents: readonly (readonly ArrayLike<number>[])[];
}

/**
 * The loss as a function of every jet's output coefficients, `coefficients[j][o][k]` = u_k of output
 * o of jet j. It sees all jets at once because PDE residuals combine several jets of one point.
 */
export type JetLossFunction = (coefficients: readonly (readonly Float64Array[])[]) => JetLossValue;

export interface JetLossAndGradient {
  value: number;
  gradient: MlpParameters<Float64Array>;
  forwards: JetForwardResult[];
}

/**
 * The loss over a batch of jets and its parameter gradient: one forward jet each, the user's loss,
 * then each jet's reverse pass summed into one gradient, in input order (deterministic).
 */
export function jetLossAndGradient(
  arch: MlpArchitecture,
  params: AnyMlpParameters,
  inputs: readonly JetInput[],
  loss: JetLossFunction,
): JetLossAndGradient {
  const forwards = inputs.map((input) => referenceForwardJet(arch, params, input));
  const { value, cotangents } = loss(forwards.map((f) => f.coefficients));
  if (cotangents.length !== forwards.length) {
    throw new RangeError(
      `the loss gave cotangents for ${cotangents.length} of ${forwards.length} jets`,
    );
  }
  const gradient = zeroParameters(arch);
  forwards.forEach((forward, j) => reverseJet(arch, params, forward, cotangents[j], gradient));
  return { value, gradient, forwards };
}
