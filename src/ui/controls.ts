/**
 * The settings form: fills its choices from the registries, shows a run's options, and reads
 * back what the user set as raw values. It validates nothing itself: the dashboard sends every
 * commit through the same checks as a link (runPlan.ts) and shows what was refused.
 */
import { ACTIVATIONS } from '../jet/activations.ts';
import {
  ESTIMATORS,
  type Estimator,
  GRADIENT_ESTIMATORS,
  type GradientEstimator,
  SCHEDULES,
  type TrainingOptions,
} from '../train/options.ts';
import {
  type ControlledOption,
  dashboardPdes,
  diagonalOrderOf,
  diagonalPdeOf,
  isBoxProblem,
} from './dashboardOptions.ts';
import { element } from './dom.ts';
import { roundCount, twoDigits, ValueSlider } from './valueSlider.ts';

export type ControlValues = Record<ControlledOption, unknown>;

export interface ControlHandlers {
  /** Any control moved: preview what the values would cost. */
  input(values: ControlValues): void;
  /** A control was let go or confirmed: apply the values. */
  commit(values: ControlValues): void;
}

const ESTIMATOR_LABELS: Record<Estimator, string> = {
  sparse: 'sparse STDE (one-hot jets)',
  rademacher: 'Rademacher (dense ±1 jets)',
  gaussian: 'Gaussian (dense N(0, I) jets)',
  exact: 'exact (every direction, no sampling)',
};

const GRADIENT_LABELS: Record<GradientEstimator, string> = {
  backprop: 'backprop (reverse mode through the stored jets)',
  spsa: 'zeroth-order SPSA (two forward passes, no backward)',
  'spsa-subspace': 'zeroth-order SPSA in low-rank subspaces',
  'forward-gradient': 'forward gradient (one tangent channel)',
};

/** The top of the B slider (STDE used 16 and 100); a link may still ask for more. */
const maxJets = 128;

function slider(
  id: string,
  min: number,
  max: number,
  log: boolean,
  snap: (value: number) => number,
): ValueSlider {
  return new ValueSlider(element(id, HTMLInputElement), { min, max, log, snap });
}

function fillSelect(select: HTMLSelectElement, choices: readonly (readonly [string, string])[]) {
  select.replaceChildren(
    ...choices.map(([value, label]) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      return option;
    }),
  );
}

export class Controls {
  private readonly form = element('options-form', HTMLFormElement);
  private readonly pde = element('pde', HTMLSelectElement);
  private readonly dimensionBox = element('dimension', HTMLInputElement);
  private readonly estimator = element('estimator', HTMLSelectElement);
  private readonly collapsed = element('collapsed', HTMLInputElement);
  private readonly activation = element('activation', HTMLSelectElement);
  private readonly schedule = element('schedule', HTMLSelectElement);
  private readonly gradientEstimator = element('gradient-estimator', HTMLSelectElement);
  private readonly steps = element('steps', HTMLInputElement);
  private readonly warmupSteps = element('warmup-steps', HTMLInputElement);
  private readonly seed = element('seed', HTMLInputElement);
  private readonly rollbackBox = element('rollback', HTMLInputElement);
  private readonly firstLayerGain = element('first-layer-gain', HTMLInputElement);
  private readonly dimension = slider('dimension-slider', 2, 1000, true, roundCount);
  /** The diagonal family's operator order k (even, 2..8): each position is one problem. */
  private readonly order = slider('operator-order', 2, 8, false, (k) => 2 * Math.round(k / 2));
  private readonly orderRow = element('operator-order-row', HTMLElement);
  private readonly jets = slider('jets-per-point', 1, maxJets, false, Math.round);
  private readonly width = slider('width', 4, 256, false, Math.round);
  private readonly depth = slider('depth', 1, 8, false, Math.round);
  private readonly points = slider('points', 8, 4096, true, roundCount);
  private readonly learningRate = slider('learning-rate', 1e-5, 1e-1, true, twoDigits);
  private readonly sliders = [
    this.dimension,
    this.order,
    this.jets,
    this.width,
    this.depth,
    this.points,
    this.learningRate,
  ];

  constructor(handlers: ControlHandlers) {
    fillSelect(
      this.pde,
      dashboardPdes.map((p) => [p.id, p.title]),
    );
    fillSelect(
      this.estimator,
      ESTIMATORS.map((e) => [e, ESTIMATOR_LABELS[e]]),
    );
    fillSelect(
      this.activation,
      ACTIVATIONS.map((a) => [a, a]),
    );
    fillSelect(
      this.schedule,
      SCHEDULES.map((s) => [s, s]),
    );
    fillSelect(
      this.gradientEstimator,
      GRADIENT_ESTIMATORS.map((g) => [g, GRADIENT_LABELS[g]]),
    );
    this.form.addEventListener('submit', (event) => event.preventDefault());
    this.setEnabled(true);
    this.form.addEventListener('input', (event) => {
      this.follow(event.target);
      handlers.input(this.read());
    });
    this.form.addEventListener('change', (event) => {
      this.follow(event.target);
      handlers.commit(this.read());
    });
  }

  show(options: TrainingOptions): void {
    this.pde.value = options.pde;
    const order = diagonalOrderOf(options.pde);
    this.orderRow.hidden = order === null;
    if (order !== null) this.order.set(order);
    this.dimension.set(options.dimension);
    this.dimensionBox.value = String(options.dimension);
    this.estimator.value = options.estimator;
    this.jets.set(options.jetsPerPoint);
    this.updateJetRange();
    // A box problem fixes d (its spatial variables) and its jets (one construction, no sampling).
    const fixed = isBoxProblem(options.pde);
    for (const input of [this.dimensionBox, this.dimension.input, this.estimator]) {
      input.disabled = fixed;
      input.title = fixed ? `${options.pde} fixes this: see the teaching view` : '';
    }
    this.collapsed.checked = options.collapsed;
    this.width.set(options.width);
    this.depth.set(options.depth);
    this.activation.value = options.activation;
    this.firstLayerGain.value = String(options.firstLayerGain);
    this.points.set(options.points);
    this.learningRate.set(options.learningRate);
    this.schedule.value = options.schedule;
    this.warmupSteps.value = String(options.warmupSteps);
    this.gradientEstimator.value = options.gradientEstimator;
    this.steps.value = String(options.steps);
    this.seed.value = String(options.seed);
    this.showValues();
  }

  /**
   * Whether the run keeps the rollback copy (RunPlan.rollback): how the run executes, not one of
   * the training options, so it is shown and read on its own.
   */
  get rollback(): boolean {
    return this.rollbackBox.checked;
  }

  showRollback(rollback: boolean): void {
    this.rollbackBox.checked = rollback;
  }

  /** What the form says now; numbers the user typed badly come back as NaN for validation. */
  read(): ControlValues {
    return {
      pde: this.pde.value,
      dimension: this.dimensionBox.valueAsNumber,
      estimator: this.estimator.value,
      jetsPerPoint: this.jets.value,
      collapsed: this.collapsed.checked,
      points: this.points.value,
      width: this.width.value,
      depth: this.depth.value,
      activation: this.activation.value,
      firstLayerGain: this.firstLayerGain.valueAsNumber,
      learningRate: this.learningRate.value,
      schedule: this.schedule.value,
      warmupSteps: this.warmupSteps.valueAsNumber,
      gradientEstimator: this.gradientEstimator.value,
      steps: this.steps.valueAsNumber,
      seed: this.seed.valueAsNumber,
    };
  }

  /** The top of the dimension slider: what the device can hold with the rest of the setup. */
  setDimensionMax(max: number): void {
    this.dimension.setRange(2, max);
    this.dimensionBox.max = String(max);
  }

  /**
   * The settings start disabled in index.html, so a page without WebGPU never offers them;
   * a device switches them on, and its loss switches them off for good.
   */
  setEnabled(enabled: boolean): void {
    for (const fieldset of this.form.querySelectorAll('fieldset')) fieldset.disabled = !enabled;
  }

  /** Keeps paired widgets in step with the one the user moved. */
  private follow(target: EventTarget | null): void {
    if (target === this.dimensionBox) {
      this.dimension.set(this.dimensionBox.valueAsNumber);
    } else {
      const moved = this.sliders.find((s) => s.input === target);
      moved?.readThumb();
      if (moved === this.dimension) this.dimensionBox.value = String(this.dimension.value);
      if (moved === this.order) this.pde.value = diagonalPdeOf(this.order.value);
    }
    this.updateJetRange();
    this.showValues();
  }

  /** Sparse STDE draws B of the d coordinates without replacement, so there B ≤ d. */
  private updateJetRange(): void {
    const d = this.dimensionBox.valueAsNumber;
    const sparse = this.estimator.value === 'sparse' && Number.isFinite(d) && d >= 1;
    this.jets.setRange(1, sparse ? Math.min(maxJets, d) : maxJets);
    if (sparse && this.jets.value > d) this.jets.set(d);
    // The exact estimator uses every direction: B means nothing there.
    this.jets.input.disabled = this.estimator.value === 'exact';
  }

  private showValues(): void {
    const text = (id: string, value: number | string) =>
      (element(id, HTMLOutputElement).value = String(value));
    text('dimension-output', this.dimensionBox.value);
    text('operator-order-output', this.order.value);
    text('jets-output', this.jets.value);
    text('width-output', this.width.value);
    text('depth-output', this.depth.value);
    text('points-output', this.points.value);
    text('learning-rate-output', this.learningRate.value);
  }
}
