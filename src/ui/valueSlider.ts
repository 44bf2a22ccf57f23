/**
 * A range input whose value is kept apart from its thumb. A link may ask for a value the thumb
 * cannot stand on (100 points on a log scale of 1000 positions, width 30 on a step of 4, B = 100
 * past the end): the run must read back exactly that value until the user moves the thumb,
 * instead of silently becoming the nearest position. Log scales cover d from 2 to 10⁶ and
 * learning rates over four decades.
 */
const logPositions = 1000;

export interface SliderScale {
  min: number;
  max: number;
  log: boolean;
  /** Rounds a value the thumb produces (integers, two significant digits…). */
  snap: (value: number) => number;
}

export class ValueSlider {
  value: number;

  constructor(
    readonly input: HTMLInputElement,
    private readonly scale: SliderScale,
  ) {
    if (scale.log) {
      input.min = '0';
      input.max = String(logPositions);
      input.step = '1';
    }
    this.value = scale.min;
    this.setRange(scale.min, scale.max);
  }

  /** New ends for the thumb; the value stays (the caller knows whether it must change). */
  setRange(min: number, max: number): void {
    this.scale.min = min;
    this.scale.max = Math.max(min, max);
    if (!this.scale.log) {
      this.input.min = String(min);
      this.input.max = String(this.scale.max);
    }
    this.set(this.value);
  }

  /** Shows `value`; the thumb goes as near as it can, the value stays exactly `value`. */
  set(value: number): void {
    this.value = value;
    const { min, max, log } = this.scale;
    if (!log) {
      this.input.value = String(value);
      return;
    }
    const span = Math.log(max / min);
    const t = span > 0 ? Math.log(value / min) / span : 0;
    this.input.value = String(Math.round(Math.min(1, Math.max(0, t)) * logPositions));
  }

  /** The value under the thumb, after the user moved it. */
  readThumb(): number {
    const { min, max, log, snap } = this.scale;
    const position = Number(this.input.value);
    const raw = log ? min * (max / min) ** (position / logPositions) : position;
    this.value = Math.min(max, Math.max(min, snap(raw)));
    return this.value;
  }
}

/** Two significant digits: 0.0031 rather than 0.003084..., 1200 rather than 1187. */
export function twoDigits(value: number): number {
  return Number(value.toPrecision(2));
}

/** Integers with two significant digits above 100, every integer below. */
export function roundCount(value: number): number {
  return value < 100 ? Math.round(value) : twoDigits(value);
}
