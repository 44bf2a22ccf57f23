/**
 * The estimator panel: S independent estimates of the run's operator (Δu, u_t + Δu or Δ²u) at
 * one point on the current weights, with a chosen estimator and B, as a histogram against the
 * exact value (all coordinate directions). The GPU work is src/train/estimatorSamples.ts, run in
 * the run's queue between training chunks. Moving B or d and drawing again shows how the spread
 * of sparse, dense and exact estimates changes.
 */
import { RandomStream } from '../random/counterRandom.ts';
import { type EstimatorSamples, sampleEstimator } from '../train/estimatorSamples.ts';
import { inspectionPoint } from '../train/jetInspection.ts';
import { ESTIMATORS, type Estimator } from '../train/options.ts';
import { Histogram } from './charts/histogram.ts';
import { renderSentence, texNumber, typesetLabel } from './math.ts';
import type { RunController } from './runController.ts';
import type { RunPlan } from './runPlan.ts';
import {
  append,
  coalesced,
  errorMessage,
  formatValue,
  numberInput,
  selectInput,
  teachingPanel,
} from './teachingDom.ts';

/** The spread sampling B of d coordinates without replacement gives, σ the values' spread. */
const PREDICTED_SPREAD_TEX = String.raw`d\,\sigma\sqrt{\frac{d - B}{B(d - 1)}}`;

const defaultSamples = 200;
const maxSamples = 5000;
/**
 * The draws start far past any training step, so the panel's jets are not those of a step the
 * network was trained on; "Draw again" moves past the chunks the last draw used.
 */
const firstDrawStep = 2 ** 30;

/** What the page exposes as `window.jetpinn.estimator`. */
export interface EstimatorSnapshot {
  /** The step whose weights were used; null before the first draw. */
  step: number | null;
  estimator: Estimator;
  jetsPerPoint: number;
  /** Jets per estimate actually pushed (B, or every direction of the exact construction). */
  jetsPerEstimate: number;
  operator: string;
  point: number[];
  samples: number;
  mean: number;
  standardDeviation: number;
  standardError: number;
  /** The exact operator's value at the point (GPU), or null when it has too many jets. */
  exact: number | null;
  /** Sparse only: the sd the without-replacement sampling predicts from the exact pass. */
  predictedStandardDeviation: number | null;
  /** Values binned in the histogram as drawn. */
  histogramSamples: number;
  refreshes: number;
}

export class EstimatorPanel {
  readonly element: HTMLDetailsElement;
  private readonly estimator: HTMLSelectElement;
  private readonly jets: HTMLInputElement;
  private readonly samples: HTMLInputElement;
  private readonly message: HTMLParagraphElement;
  private readonly stats: HTMLDListElement;
  private readonly histogram: Histogram;
  private drawStep = firstDrawStep;
  /** The run plan the controls were last fitted to (a rebuilt run resets them). */
  private fittedTo: RunPlan | null = null;
  snapshot: EstimatorSnapshot | null = null;

  constructor(
    parent: HTMLElement,
    private readonly run: RunController,
    private readonly radius: () => number,
    private readonly onChange: () => void,
  ) {
    const { element, controls, message } = teachingPanel(
      parent,
      'estimator-panel',
      'Estimator panel: many estimates at one point',
    );
    this.element = element;
    this.message = message;
    this.estimator = selectInput(
      controls,
      'estimator-panel-estimator',
      'Estimator',
      ESTIMATORS.map((e) => [e, e]),
    );
    this.jets = numberInput(controls, 'estimator-panel-jets', 'B', 1, 4096);
    this.samples = numberInput(controls, 'estimator-panel-samples', 'Samples S', 2, maxSamples);
    this.samples.value = String(defaultSamples);
    typesetLabel(this.jets, '$B$');
    typesetLabel(this.samples, 'Samples $S$');
    const again = append(controls, 'button', 'Draw again');
    again.type = 'button';
    again.id = 'estimator-panel-draw';
    again.addEventListener('click', () => {
      this.drawStep += Math.max(Number(this.samples.value) || defaultSamples, 1);
      void this.refresh();
    });
    this.stats = append(this.element, 'dl');
    this.stats.id = 'estimator-stats';
    this.stats.className = 'stats';
    const charts = append(this.element, 'div');
    charts.className = 'charts';
    this.histogram = new Histogram(charts, {
      id: 'estimator-histogram',
      title: 'Estimates of the operator at the point',
      xLabel: 'estimate',
    });
    for (const input of [this.estimator, this.jets, this.samples]) {
      input.addEventListener('change', () => void this.refresh());
    }
  }

  get open(): boolean {
    return this.element.open;
  }

  /** The run's estimator and B become the panel's when the run is rebuilt with new settings. */
  private fitControls(): void {
    const plan = this.run.plan;
    if (this.fittedTo === plan) return;
    this.fittedTo = plan;
    this.estimator.value = plan.options.estimator;
    this.jets.value = String(plan.options.jetsPerPoint);
    this.jets.max = String(plan.options.dimension);
  }

  /** The controls' values, or why they cannot be used. */
  private request(): { estimator: Estimator; jetsPerPoint: number; samples: number } | string {
    const estimator = ESTIMATORS.find((e) => e === this.estimator.value);
    if (!estimator) return `unknown estimator '${this.estimator.value}'`;
    const jetsPerPoint = Number(this.jets.value);
    const d = this.run.plan.options.dimension;
    const maxJets = estimator === 'sparse' ? d : 4096;
    if (!Number.isInteger(jetsPerPoint) || jetsPerPoint < 1 || jetsPerPoint > maxJets) {
      return `B must be an integer in 1..${maxJets}${estimator === 'sparse' ? ' (sparse: at most d)' : ''}, got ${this.jets.value}`;
    }
    const samples = Number(this.samples.value);
    if (!Number.isInteger(samples) || samples < 2 || samples > maxSamples) {
      return `Samples S must be an integer in 2..${maxSamples}, got ${this.samples.value}`;
    }
    return { estimator, jetsPerPoint, samples };
  }

  /** Draws the estimates on the current weights (between training chunks) and redraws. */
  readonly refresh = coalesced(async () => {
    try {
      this.fitControls();
      const request = this.request();
      if (typeof request === 'string') {
        this.message.textContent = `Not drawn: ${request}.`;
        return;
      }
      const draw = {
        seed: this.run.plan.options.seed,
        step: this.drawStep,
        stream: RandomStream.jets,
      };
      const result = await this.run.withTrainer(async (trainer) => {
        const point = inspectionPoint(trainer.options, this.radius());
        const samples = await sampleEstimator(trainer, { ...request, point, draw });
        return { samples, point, step: trainer.step };
      });
      if (result === null) {
        this.message.textContent = 'No network to sample yet.';
        return;
      }
      this.show(result.samples, Array.from(result.point), result.step, request);
    } catch (error) {
      this.message.textContent = `Could not draw the estimates: ${errorMessage(error)}`;
    }
  });

  private show(
    samples: EstimatorSamples,
    point: number[],
    step: number,
    request: { estimator: Estimator; jetsPerPoint: number },
  ): void {
    const histogramSamples = this.histogram.draw(samples.estimates, samples);
    this.snapshot = {
      step,
      estimator: request.estimator,
      jetsPerPoint: request.jetsPerPoint,
      jetsPerEstimate: samples.jetsPerEstimate,
      operator: samples.operator,
      point,
      samples: samples.count,
      mean: samples.mean,
      standardDeviation: samples.standardDeviation,
      standardError: samples.standardError,
      exact: samples.exact,
      predictedStandardDeviation: samples.predictedStandardDeviation,
      histogramSamples,
      refreshes: (this.snapshot?.refreshes ?? 0) + 1,
    };
    const d = this.run.plan.options.dimension;
    renderSentence(
      this.message,
      `Step ${step}, $d = ${d}$: ${samples.count} independent estimates of $${samples.quantityTex}$ ` +
        `(${samples.operator}, ${samples.jetsPerEstimate} jets each) at ` +
        String.raw`$x = r\,(1, \dots, 1)/\sqrt d$, $r = ${texNumber(this.radius())}$; each estimate ` +
        `is one copy of the point with its own jets, all pushed through the GPU kernels on the ` +
        `current weights. The exact value uses all coordinate directions` +
        `${samples.exactMissing ? ` (not drawn: ${samples.exactMissing})` : ''}.` +
        (samples.predictedStandardDeviation === null
          ? ''
          : ` Sparse jets are $B$ of the exact pass's $d$ one-hot jets, so their spread is known ` +
            String.raw`in advance: with $\sigma$ the spread of the $d$ values $J_2[e_i]$, ` +
            String.raw`$\mathrm{sd} = ${PREDICTED_SPREAD_TEX}$, which is 0 at $B = d$.`),
    );
    const offset =
      samples.exact === null || samples.standardError === 0
        ? null
        : (samples.mean - samples.exact) / samples.standardError;
    const entries: [string, string][] = [
      ['exact', samples.exact === null ? '—' : formatValue(samples.exact)],
      ['sample mean', formatValue(samples.mean)],
      ['standard deviation', formatValue(samples.standardDeviation)],
      [
        `predicted sd, $${PREDICTED_SPREAD_TEX}$`,
        samples.predictedStandardDeviation === null
          ? '— (sparse only)'
          : formatValue(samples.predictedStandardDeviation),
      ],
      ['standard error', formatValue(samples.standardError)],
      ['(mean − exact)/SE', offset === null ? '—' : offset.toFixed(2)],
      ['samples', String(samples.count)],
    ];
    this.stats.replaceChildren();
    for (const [term, value] of entries) {
      renderSentence(append(this.stats, 'dt'), term);
      // The term's words name the statistic; its formula (predicted sd) is not part of the name.
      append(this.stats, 'dd', value).dataset.stat = term.split(',')[0];
    }
    this.onChange();
  }
}
