/**
 * Travelling waves u = A·F(θ), θ = k_x x + k_y y − ω t + θ₀, with F = tanh or sech²: the exact
 * solutions of the high-order problems (highOrder.ts). Three views of one wave:
 *   waveValue: u at a point, closed form (stable tanh / sech² of src/jet/activations.ts);
 *   waveJet: u as float64 Taylor arithmetic of input coordinate jets, so any jet construction can
 *     be pushed through it (sech θ = 2/(e^θ + e^{−θ}) keeps its relative accuracy in the tails);
 *   waveQuantity: a partial (or a sum of them) in closed form by the chain rule,
 *     ∂_t^a ∂_x^b ∂_y^c u = (−ω)^a k_x^b k_y^c · A·F^(a+b+c)(θ), with F's derivatives from a
 *     one-dimensional jet.
 * Points are in the problem's variable order (`variables`, e.g. x, y, t).
 */
import { sech2, stableTanh } from '../jet/activations.ts';
import { Jet, pushCurve } from '../jet/jet.ts';
import {
  partialMultiIndex,
  partialOrder,
  quantityPartials,
  type QuantityName,
  type SpaceTimeVariable,
} from '../operators/partials.ts';

export type WaveProfile = 'tanh' | 'sech2';

export interface TravellingWave {
  readonly amplitude: number;
  readonly profile: WaveProfile;
  /** Wave numbers along x and y (0 for a variable the problem does not have). */
  readonly wavenumber: { readonly x: number; readonly y: number };
  /** θ decreases at rate ω in time: the wave moves along k at speed ω/|k|. */
  readonly omega: number;
  /** θ₀. */
  readonly phase: number;
}

/** ∂θ/∂v. */
export function phaseRate(wave: TravellingWave, v: SpaceTimeVariable): number {
  return v === 't' ? -wave.omega : wave.wavenumber[v];
}

export function wavePhase(
  wave: TravellingWave,
  variables: readonly SpaceTimeVariable[],
  point: ArrayLike<number>,
): number {
  let theta = wave.phase;
  variables.forEach((v, i) => (theta += phaseRate(wave, v) * point[i]));
  return theta;
}

export function waveValue(
  wave: TravellingWave,
  variables: readonly SpaceTimeVariable[],
  point: ArrayLike<number>,
): number {
  const theta = wavePhase(wave, variables, point);
  return wave.amplitude * (wave.profile === 'tanh' ? stableTanh(theta) : sech2(theta));
}

function profileJet(profile: WaveProfile, theta: Jet): Jet {
  if (profile === 'tanh') return theta.apply('tanh');
  const sech = theta.exp().add(theta.neg().exp()).reciprocal().scale(2);
  return sech.mul(sech);
}

export function waveJet(
  wave: TravellingWave,
  variables: readonly SpaceTimeVariable[],
  coordinates: readonly Jet[],
): Jet {
  let theta = Jet.constant(wave.phase, coordinates[0].order);
  variables.forEach((v, i) => (theta = theta.add(coordinates[i].scale(phaseRate(wave, v)))));
  return profileJet(wave.profile, theta).scale(wave.amplitude);
}

export function waveQuantity(
  wave: TravellingWave,
  variables: readonly SpaceTimeVariable[],
  name: QuantityName,
  point: ArrayLike<number>,
): number {
  const partials = quantityPartials(name);
  const order = Math.max(...partials.map(partialOrder));
  const theta0 = wavePhase(wave, variables, point);
  const tangents = Array.from({ length: order }, (_, k) => (k === 0 ? [1] : null));
  const F = profileJet(wave.profile, pushCurve([theta0], tangents)[0]).derivatives();
  let total = 0;
  for (const p of partials) {
    const alpha = partialMultiIndex(p);
    const chain =
      phaseRate(wave, 't') ** alpha.t *
      phaseRate(wave, 'x') ** alpha.x *
      phaseRate(wave, 'y') ** alpha.y;
    total += chain * wave.amplitude * F[partialOrder(p)];
  }
  return total;
}
