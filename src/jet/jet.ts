import { type Activation, activationTaylorCoefficients } from './activations.ts';
import { cosDerivatives, expDerivatives, reciprocalDerivatives } from './elementary.ts';
import {
  derivativesToTaylor,
  seriesAdd,
  seriesCompose,
  seriesConstant,
  seriesMul,
  seriesPow,
  seriesScale,
  seriesSub,
  taylorToDerivatives,
} from './series.ts';
import { curveJet, type JetInput, unitSeries } from './vectorJet.ts';

/**
 * A scalar quantity along a jet input curve: its truncated series in t. Writing an expression with
 * these (coordinates from `pushCurve`, then add/mul/apply…) gives the output jet of that expression,
 * which is how tests evaluate arbitrary polynomials and closed-form functions along a jet.
 */
export class Jet {
  /** Normalized coefficients: coeffs[k] multiplies t^k. */
  readonly coeffs: Float64Array;

  constructor(coeffs: ArrayLike<number>) {
    if (coeffs.length === 0) throw new RangeError('a jet needs at least its value');
    this.coeffs = Float64Array.from(coeffs);
  }

  static constant(value: number, order: number): Jet {
    return new Jet(seriesConstant(value, order));
  }

  get order(): number {
    return this.coeffs.length - 1;
  }

  get value(): number {
    return this.coeffs[0];
  }

  /** The directional derivatives J_k = k!·c_k. */
  derivatives(): Float64Array {
    return taylorToDerivatives(this.coeffs);
  }

  add(other: Jet | number): Jet {
    return new Jet(seriesAdd(this.coeffs, this.lift(other)));
  }

  sub(other: Jet | number): Jet {
    return new Jet(seriesSub(this.coeffs, this.lift(other)));
  }

  mul(other: Jet | number): Jet {
    if (typeof other === 'number') return this.scale(other);
    return new Jet(seriesMul(this.coeffs, other.coeffs));
  }

  div(other: Jet | number): Jet {
    if (typeof other === 'number') return this.scale(1 / other);
    return this.mul(other.reciprocal());
  }

  scale(factor: number): Jet {
    return new Jet(seriesScale(this.coeffs, factor));
  }

  neg(): Jet {
    return this.scale(-1);
  }

  pow(exponent: number): Jet {
    return new Jet(seriesPow(this.coeffs, exponent));
  }

  /**
   * f(this) for a scalar function given by its derivatives: `derivativesAt(z, order)` returns
   * [f(z), f'(z), …, f^(order)(z)].
   */
  compose(derivativesAt: (z: number, order: number) => ArrayLike<number>): Jet {
    const taylor = derivativesToTaylor(derivativesAt(this.value, this.order));
    return new Jet(seriesCompose(taylor, this.coeffs));
  }

  apply(activation: Activation): Jet {
    return new Jet(
      seriesCompose(activationTaylorCoefficients(activation, this.value, this.order), this.coeffs),
    );
  }

  exp(): Jet {
    return this.compose(expDerivatives);
  }

  sin(): Jet {
    return this.apply('sin');
  }

  cos(): Jet {
    return this.compose(cosDerivatives);
  }

  reciprocal(): Jet {
    return this.compose(reciprocalDerivatives);
  }

  private lift(other: Jet | number): Float64Array {
    return typeof other === 'number' ? seriesConstant(other, this.order) : other.coeffs;
  }
}

/** The coordinate jets x_i(t) of the curve g(t) = point + Σ_k v_k t^k/k! (tangents[k − 1] = v_k). */
export function pushCurve(point: ArrayLike<number>, tangents: JetInput['tangents']): Jet[] {
  const curve = curveJet({ point, tangents });
  return Array.from({ length: curve.width }, (_, i) => new Jet(unitSeries(curve, i)));
}

/** The sum of jets of order `order`; an empty list sums to the zero jet. */
export function sumJets(jets: readonly Jet[], order: number): Jet {
  return jets.reduce((acc, j) => acc.add(j), Jet.constant(0, order));
}
