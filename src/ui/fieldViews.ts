/**
 * The field views of a ball problem: u_θ, u*, u_θ − u* and the PDE residual on a 2-D slice
 * through the unit ball (coordinates i and j vary, the rest are 0), and the residual against the
 * radius at the collocation points of the current step. The GPU work is the trainer layer's
 * (FieldSlice, CollocationResidual); it runs in the run's queue, so a refresh waits for the chunk
 * in flight and never overlaps one. Refreshes come from the button, from a change of i or j, and
 * while training at an interval chosen from their measured cost (refreshSchedule.ts).
 */
import {
  CollocationResidual,
  type CollocationValues,
  FieldSlice,
  type FieldSliceOptions,
  type FieldValues,
} from '../train/fieldSlice.ts';
import type { Trainer } from '../train/trainer.ts';
import { Heatmap } from './charts/heatmap.ts';
import { ScatterChart } from './charts/scatterChart.ts';
import { element } from './dom.ts';
import { FIELD_VIEW_AVERAGE_DECAY, viewDropped, viewLeftOut } from './memoryEstimate.ts';
import { refreshInterval } from './refreshSchedule.ts';
import type { RunController } from './runController.ts';
import { FIELD_RESOLUTION as resolution, type ViewName } from './viewPlans.ts';

/** The weight average's time constant 1/(1 − β) in steps, as the status line states it. */
const averageSteps = Math.round(1 / (1 - FIELD_VIEW_AVERAGE_DECAY));

/** " The field slice is not drawn for this run: …" for each part the memory estimate left out. */
function leftOutSentences(reasons: Record<string, string | null>): string {
  return Object.entries(reasons)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, reason]) => ` The ${name} is not drawn for this run: ${reason}.`)
    .join('');
}

/** What the page exposes as `window.jetpinn.field` (numbers, not pixels, for tests). */
export interface FieldSnapshot {
  i: number;
  j: number;
  resolution: number;
  /** The step whose parameters are shown; null before the first refresh. */
  step: number | null;
  /** max |u_θ − u*| over the cells inside the ball (NaN before the first refresh). */
  maxAbsError: number;
  /** Cells coloured in the u_θ view (the grid cells inside the ball). */
  cellsDrawn: number;
  /** max |r| over the slice's cells, r = L₀u_θ + N(u_θ) − f with the exact operator. */
  maxAbsResidual: number;
  /** Cells coloured in the residual view. */
  residualCells: number;
  /** The step whose collocation points the scatter shows; null before the first refresh. */
  collocationStep: number | null;
  /** Dots in the residual-against-radius scatter. */
  collocationPoints: number;
  /** Root mean square of r at those points. */
  collocationRmsResidual: number;
  refreshes: number;
}

export class FieldViews {
  private readonly section = element('field-views', HTMLElement);
  private readonly pickI = element('field-i', HTMLInputElement);
  private readonly pickJ = element('field-j', HTMLInputElement);
  private readonly refreshButton = element('field-refresh', HTMLButtonElement);
  private readonly status = element('field-message', HTMLParagraphElement);
  private readonly network: Heatmap;
  private readonly exact: Heatmap;
  private readonly error: Heatmap;
  private readonly residual: Heatmap;
  private readonly scatter: ScatterChart;
  private slice: FieldSlice | null = null;
  private collocation: CollocationResidual | null = null;
  /**
   * The trainer the slice and the collocation view were built on: a rebuilt run (or one
   * recovered from a device loss) has a new one and freed the old memory.
   */
  private sliceTrainer: Trainer | null = null;
  private collocationTrainer: Trainer | null = null;
  private refreshing = false;
  /**
   * Wall time of the last refresh on `sliceTrainer`: evaluating the slice and the collocation
   * residual, reading them back and drawing. Building the slice (a one-off) and waiting for the
   * chunk in flight are left out; they are not what another refresh would cost.
   */
  private refreshMs: number | null = null;
  /** The pickers' coordinates; the snapshot's are those of the slice last drawn. */
  private wanted = { i: 0, j: 1 };
  snapshot: FieldSnapshot = {
    i: 0,
    j: 1,
    resolution,
    step: null,
    maxAbsError: NaN,
    cellsDrawn: 0,
    maxAbsResidual: NaN,
    residualCells: 0,
    collocationStep: null,
    collocationPoints: 0,
    collocationRmsResidual: NaN,
    refreshes: 0,
  };

  constructor(
    private readonly run: RunController,
    private readonly onChange: () => void,
  ) {
    const charts = element('field-charts', HTMLElement);
    const axes = { xLabel: 'x_i', yLabel: 'x_j' };
    this.network = new Heatmap(charts, {
      id: 'field-network',
      title: 'Network u_θ',
      scheme: 'sequential',
      ...axes,
    });
    this.exact = new Heatmap(charts, {
      id: 'field-exact',
      title: 'Exact solution u*',
      scheme: 'sequential',
      ...axes,
    });
    this.error = new Heatmap(charts, {
      id: 'field-error',
      title: 'Error u_θ − u*',
      scheme: 'diverging',
      ...axes,
    });
    this.residual = new Heatmap(charts, {
      id: 'field-residual',
      title: 'PDE residual r = L₀u_θ + N(u_θ) − f (exact operator)',
      scheme: 'diverging',
      ...axes,
    });
    this.scatter = new ScatterChart(element('field-scatter', HTMLElement), {
      id: 'residual-radius',
      title: 'Residual at the collocation points against |x|',
      xLabel: 'radius |x|',
      yLabel: 'residual r',
      xDomain: [0, 1],
    });
    this.refreshButton.addEventListener('click', () => void this.refresh());
    for (const picker of [this.pickI, this.pickJ]) {
      picker.addEventListener('change', () => {
        this.readPickers();
        void this.refresh();
      });
    }
  }

  /** After every change of the run: fits the pickers to d and refreshes when one is due. */
  update(): void {
    const { pde, options } = this.run.plan;
    const ball = pde.domain === 'ball';
    this.section.hidden = !ball;
    if (!ball) return;
    const d = options.dimension;
    for (const picker of [this.pickI, this.pickJ]) picker.max = String(d - 1);
    if (this.wanted.i >= d || this.wanted.j >= d) this.setCoordinates(0, 1);
    this.refreshButton.disabled = this.run.state === 'building' || this.run.state === 'error';
    // A new run (a reset) starts counting again from step 0.
    const since =
      this.snapshot.step === null || this.run.step < this.snapshot.step ? 0 : this.snapshot.step;
    if (this.run.state === 'running' && this.run.step - since >= this.interval()) {
      void this.refresh();
    }
  }

  /**
   * Steps between two refreshes while training, such that they take at most a set share of the
   * training time at the cost last measured and the current rate. A rebuilt or recovered run has
   * a new trainer, which the last cost was not measured on: its first refresh comes early.
   */
  private interval(): number {
    const measured = this.run.isCurrent(this.sliceTrainer) ? this.refreshMs : null;
    return refreshInterval(measured, 1000 / this.run.iterationsPerSecond);
  }

  /** The views whose buffers the current run holds: those built on its trainer. */
  drawnViews(): ViewName[] {
    const views: ViewName[] = [];
    if (this.slice && this.run.isCurrent(this.sliceTrainer)) views.push('field slice');
    if (this.collocation && this.run.isCurrent(this.collocationTrainer)) {
      views.push('residual view');
    }
    return views;
  }

  /**
   * Evaluates the slice and the collocation residual between chunks and redraws the views: those
   * the run's memory estimate holds (a view left out there is not built, and said so).
   */
  async refresh(): Promise<void> {
    if (this.refreshing || this.run.plan.pde.domain !== 'ball') return;
    this.refreshing = true;
    const { i, j } = this.wanted;
    try {
      const result = await this.run.withTrainer(async (trainer) => {
        // Read inside the run's queue: a rebuild queued before this changes plan and trainer.
        const memory = this.run.plan.memory;
        const sliceLeftOut = viewLeftOut(memory, 'field slice');
        const residualLeftOut = viewLeftOut(memory, 'residual view');
        const sliceDropped = viewDropped(memory, 'field slice');
        const slice =
          sliceLeftOut === null
            ? await this.sliceFor(trainer, { i, j, resolution, residual: sliceDropped === null })
            : this.dropSlice();
        const collocation =
          residualLeftOut === null ? await this.collocationFor(trainer) : this.dropCollocation();
        const start = performance.now();
        return {
          values: slice && (await slice.evaluate()),
          // Before the first step, the points the first step will draw.
          points: collocation && (await collocation.evaluate(Math.max(trainer.step, 1))),
          step: trainer.step,
          start,
          leftOut: leftOutSentences({
            'field slice': sliceLeftOut,
            "field slice's residual heatmap": sliceDropped?.reason ?? null,
            'residual view': residualLeftOut,
          }),
        };
      });
      if (result === null) {
        this.setMessage('No trained network to show yet.');
        return;
      }
      this.drawSlice(result.values, i, j);
      this.drawCollocation(result.points);
      this.snapshot = {
        ...this.snapshot,
        step: result.step,
        refreshes: this.snapshot.refreshes + 1,
      };
      this.onChange();
      this.refreshMs = performance.now() - result.start;
      const heatmaps =
        result.values === null
          ? ''
          : ` The heatmaps show the weights averaged over about the last ${averageSteps} steps.`;
      this.setMessage(
        `Step ${result.step}; coordinates other than x_${i} and x_${j} are 0.${heatmaps}` +
          `${result.leftOut}${this.scheduleText()}`,
      );
    } catch (error) {
      this.setMessage(
        `Could not evaluate the slice: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      this.refreshing = false;
    }
    // The pickers moved while this slice was evaluated: show the one they ask for now.
    if (this.wanted.i !== i || this.wanted.j !== j) await this.refresh();
  }

  /** Frees a slice the run no longer holds ("rollback copy" ticked grows the same run). */
  private dropSlice(): null {
    this.slice?.destroy();
    this.slice = null;
    return null;
  }

  private dropCollocation(): null {
    this.collocation?.destroy();
    this.collocation = null;
    return null;
  }

  /** The slice `wanted` on `trainer`, built on first use, kept until i, j or its residual change. */
  private async sliceFor(
    trainer: Trainer,
    wanted: Required<FieldSliceOptions>,
  ): Promise<FieldSlice> {
    const current = this.slice;
    const same = (options: FieldSliceOptions) =>
      options.i === wanted.i &&
      options.j === wanted.j &&
      (options.residual ?? true) === wanted.residual;
    if (current && this.sliceTrainer === trainer && same(current.options)) return current;
    // A disposed trainer already freed the slice's buffers; destroy() is then a no-op.
    current?.destroy();
    this.slice = null;
    this.slice = await FieldSlice.create(trainer, wanted);
    this.sliceTrainer = trainer;
    return this.slice;
  }

  /** The collocation residual view on `trainer`, built on first use. */
  private async collocationFor(trainer: Trainer): Promise<CollocationResidual> {
    if (this.collocation && this.collocationTrainer === trainer) return this.collocation;
    this.collocation?.destroy();
    this.collocation = null;
    this.collocation = await CollocationResidual.create(trainer);
    this.collocationTrainer = trainer;
    return this.collocation;
  }

  /** The four heatmaps of the slice, or cleared ones where the run has no slice. */
  private drawSlice(values: FieldValues | null, i: number, j: number): void {
    const heatmaps = [this.network, this.exact, this.error, this.residual];
    for (const view of heatmaps) view.setAxisLabels(`x_${i}`, `x_${j}`);
    if (values === null) {
      const blank = new Float32Array(resolution * resolution).fill(NaN);
      for (const view of heatmaps) view.draw(blank, resolution, [0, 1]);
      this.snapshot = {
        ...this.snapshot,
        i,
        j,
        maxAbsError: NaN,
        cellsDrawn: 0,
        maxAbsResidual: NaN,
        residualCells: 0,
      };
      return;
    }
    const difference = values.u.map((u, cell) => u - values.exact[cell]);
    const inside = (array: Float32Array) => array.filter((_, cell) => values.inside[cell] === 1);
    const shown = [...inside(values.u), ...inside(values.exact)];
    const domain: [number, number] = [Math.min(...shown), Math.max(...shown)];
    const errors = inside(difference);
    const maxAbsError = errors.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
    // A slice without its residual (viewPlans.ts reduced) has NaN there: the heatmap is empty.
    const residuals = inside(values.residual).filter(Number.isFinite);
    const maxAbsResidual =
      residuals.length > 0 ? residuals.reduce((m, r) => Math.max(m, Math.abs(r)), 0) : NaN;
    const cellsDrawn = this.network.draw(values.u, resolution, domain);
    this.exact.draw(values.exact, resolution, domain);
    this.error.draw(difference, resolution, [-maxAbsError, maxAbsError]);
    const residualCells = this.residual.draw(
      values.residual,
      resolution,
      residuals.length > 0 ? [-maxAbsResidual, maxAbsResidual] : [0, 1],
    );
    this.snapshot = {
      ...this.snapshot,
      i,
      j,
      maxAbsError,
      cellsDrawn,
      maxAbsResidual,
      residualCells,
    };
  }

  /** The residual-against-radius scatter, or an empty one where the run has no residual view. */
  private drawCollocation(points: CollocationValues | null): void {
    if (points === null) {
      this.scatter.draw([], []);
      this.scatter.setTitle('Residual at the collocation points against |x|: not drawn');
      this.snapshot = {
        ...this.snapshot,
        collocationStep: null,
        collocationPoints: 0,
        collocationRmsResidual: NaN,
      };
      return;
    }
    const collocationPoints = this.scatter.draw(points.radius, points.residual);
    const squares = points.residual.reduce((sum, r) => sum + r * r, 0);
    const rms = Math.sqrt(squares / points.residual.length);
    this.run.history.addResidual({
      step: points.step,
      rms,
      maxAbs: points.residual.reduce((m, r) => Math.max(m, Math.abs(r)), 0),
    });
    this.scatter.setTitle(
      `Residual at the ${points.residual.length} collocation points of step ${points.step} ` +
        'against |x| (exact operator)',
    );
    this.snapshot = {
      ...this.snapshot,
      collocationStep: points.step,
      collocationPoints,
      collocationRmsResidual: rms,
    };
  }

  /** Reads the pickers; two equal coordinates move j off i, so the slice stays a plane. */
  private readPickers(): void {
    const d = this.run.plan.options.dimension;
    const read = (picker: HTMLInputElement, fallback: number) => {
      const value = Number(picker.value);
      return Number.isInteger(value) && value >= 0 && value < d ? value : fallback;
    };
    const i = read(this.pickI, this.wanted.i);
    let j = read(this.pickJ, this.wanted.j);
    if (j === i) j = (i + 1) % d;
    this.setCoordinates(i, j);
  }

  private setCoordinates(i: number, j: number): void {
    this.pickI.value = String(i);
    this.pickJ.value = String(j);
    this.wanted = { i, j };
  }

  /** The interval while training and what it rests on; nothing until a step has been timed. */
  private scheduleText(): string {
    if (!(this.run.iterationsPerSecond > 0) || this.refreshMs === null) return '';
    return ` Refreshing every ${this.interval()} steps, ${Math.round(this.refreshMs)} ms each.`;
  }

  private setMessage(text: string): void {
    this.status.textContent = text;
  }
}
