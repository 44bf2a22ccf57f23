/**
 * The teaching panel: the PDE with its exact solution and the operator's estimator, typeset by
 * KaTeX (math.ts), and one sentence on how the estimate is formed from jets: which tangents go in,
 * which output coefficient comes out, which factor scales the sum. Below it, the jet inspector
 * and the estimator panel (TeachingPanels), which compute on the current weights.
 */
import { factorial } from '../jet/series.ts';
import type { FixedJet } from '../operators/fixedTangents.ts';
import type { JetOperator, OutputTerm } from '../operators/operator.ts';
import { HIGH_ORDER_DATA_LOSS, type HighOrderProblem } from '../pdes/highOrder.ts';
import { boxDataPoints } from '../train/boxProblemGraph.ts';
import { residualWeight } from '../train/highOrderLoss.ts';
import { element } from './dom.ts';
import { EstimatorPanel } from './estimatorPanel.ts';
import { JetInspector } from './jetInspector.ts';
import type { RunController } from './runController.ts';
import type { RunPlan } from './runPlan.ts';
import { renderSentence, renderTex, texNumber } from './math.ts';
import { append } from './teachingDom.ts';
import type { ViewName } from './viewPlans.ts';

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(3);
}

/** A coefficient as TeX: 1/n as a fraction, others as numbers. */
function coefficient(value: number): string {
  const inverse = 1 / value;
  return Number.isInteger(inverse) && Math.abs(inverse) > 1
    ? String.raw`\tfrac{1}{${Math.abs(inverse)}}`
    : texNumber(Math.abs(value));
}

/** `body` times `value` as summand n of a sum: its sign, then the coefficient unless it is ±1. */
function summand(value: number, n: number, body: string, gap = ''): string {
  const sign = value < 0 ? '-' : n > 0 ? '+' : '';
  return `${sign}${Math.abs(value) === 1 ? '' : coefficient(value) + gap}${body}`;
}

/** v_k = c·e_name, … of one fixed jet (every other tangent 0). */
function jetTex(jet: FixedJet, variables: readonly string[]): string {
  return jet
    .map(({ order, components }) => {
      const vector = components
        .map(({ index, value }, n) => summand(value, n, `e_${variables[index]}`, String.raw`\,`))
        .join('');
      return `v_${order} = ${vector}`;
    })
    .join(', ');
}

/** An output's combination of jets, Σ scale·J_order^{(r)} (J_0 is u itself). */
function outputTex(terms: readonly OutputTerm[]): string {
  return terms
    .map(({ direction, order, scale }, n) => {
      const jet =
        order === 0
          ? 'u'
          : direction === 'all'
            ? String.raw`\sum_r J_${order}^{(r)}`
            : `J_${order}^{(${direction + 1})}`;
      return summand(scale, n, jet);
    })
    .join(' ');
}

/**
 * A box problem's sentence: its one fixed construction (src/operators), how each residual input
 * is read off the jets, and the loss with the face data (boxProblemGraph.ts).
 */
function explainConstruction(
  problem: HighOrderProblem,
  operator: JetOperator,
  points: number,
  gpinnWeight: number,
): string {
  if (operator.draw.kind !== 'fixed') {
    throw new Error(`${problem.id}: its operator ${operator.name} is not a fixed construction`);
  }
  const { variables } = problem;
  const jets = operator.draw.jets
    .map((jet, r) => `jet ${r + 1}: $${jetTex(jet, variables)}$`)
    .join('; ');
  const reads = operator.quantities
    .filter(({ terms }) => terms.some((t) => t.order > 1 || t.scale !== 1))
    .map(({ tex, terms }) => `$${tex} = ${outputTex(terms)}$`)
    .join(', ');
  const terms = problem.residuals
    .map((term) => ({ term, weight: residualWeight(term, gpinnWeight) }))
    .filter(({ weight }) => weight > 0)
    .map(({ term, weight }) => {
      const tex = term.tex.includes('=') ? term.tex : `r = ${term.tex}`;
      return `$${tex}$ (weight ${number(weight)})`;
    })
    .join(', ');
  const data = boxDataPoints(points, variables.length);
  return (
    `No sampling: each of the ${points} collocation points per step pushes the same ` +
    `${operator.directions} jets of order ${operator.order}, one fixed construction: ${jets} ` +
    '(other tangents 0). ' +
    String.raw`With $J_k^{(r)} = k!\,u_k$ of jet $r$, the partials the residual needs are ${reads}; ` +
    'the others are single coefficients. The loss adds weight × mean r² over the collocation ' +
    `points for each residual, ${terms}, and ` +
    String.raw`$${HIGH_ORDER_DATA_LOSS.weight} \cdot \operatorname{mean}(u - u^*)^2$ at ${data} ` +
    'points drawn on the initial and the spatial faces of the box, where u* gives the data.'
  );
}

/**
 * The sentence for a plan's estimator (DESIGN.md §3, J_K = K!·u_K), its formulas between `$`
 * signs for renderSentence.
 */
export function explainEstimate({ options, pde, operator, memory }: RunPlan): string {
  if (pde.domain === 'box') {
    return explainConstruction(pde.problem, operator, options.points, options.gpinnWeight);
  }
  const d = options.dimension;
  const B = options.jetsPerPoint;
  const R = operator.directions;
  const K = operator.order;
  const perPoint = `Each of the ${options.points} residual points per step pushes`;
  /** How J_K is read off the output, `value` continuing its formula (what J_K equals). */
  const read = (value = '') =>
    String.raw`the output's order-${K} Taylor coefficient $u_${K}$ gives $J_${K} = ${K}!\,u_${K}${value}$`;
  // Parabolic jets live on (x, t) and carry a second tangent along t (laplacian.ts): (1/d)·e_t
  // for one-hot and exact jets, e_t for dense ones, so that after the scale u_t appears once.
  const parabolic = pde.domain === 'spacetime';
  const dense = options.estimator === 'rademacher' || options.estimator === 'gaussian';
  const second = !parabolic ? '0' : dense ? 'e_t' : String.raw`\tfrac1d e_t`;
  const timeTerm = !parabolic ? '' : dense ? ' + u_t' : ' + u_t/d';
  const secondDerivative = String.raw` = \partial^2 u/\partial x_i^2${timeTerm}`;
  let sentence: string;
  if (pde.operator === 'diagonal') {
    // One-hot k-jets: the only partition of K into parts of order 1 is 1 + … + 1 (diagonal.ts).
    const pure = String.raw` = \partial^{${K}} u/\partial x_i^{${K}}`;
    sentence =
      options.estimator === 'exact'
        ? String.raw`${perPoint} all $d = ${d}$ ${K}-jets with first tangent $e_1, \dots, e_d$ and every higher tangent 0; ` +
          `${read(pure)}, summed with scale 1: exactly the operator.`
        : `${perPoint} $B = ${B}$ ${K}-jets whose first tangent is a coordinate vector $e_i$, $i$ drawn ` +
          `without replacement from $1..d$, and whose higher tangents are 0; ${read(pure)}, and the ` +
          `sum over the $B$ jets is scaled by $d/B = ${texNumber(d / B)}$.`;
    // The scale is the point of the order slider: J_K grows as K! over the coefficient stored.
    sentence +=
      ` The jets carry normalized Taylor coefficients, so $J_${K}$ is $${K}! = ${factorial(K)}$ ` +
      `times the stored one: the coefficients stay in float32 range at every order.`;
  } else if (pde.operator === 'biharmonic') {
    sentence =
      options.estimator === 'exact'
        ? String.raw`${perPoint} all ${R} 4-jets with first tangent $e_i$ or $e_i \pm e_j$ (others 0); ${read()}, ` +
          String.raw`and $\Delta^2 u = \frac{4 - d}{3} \sum_i J_4[e_i] + \frac16 \sum_{i<j} (J_4[e_i + e_j] + J_4[e_i - e_j])$, ` +
          `i.e. scales ${number((4 - d) / 3)} and ${number(1 / 6)}.`
        : String.raw`${perPoint} $B = ${B}$ 4-jets with a Gaussian first tangent $v \sim \mathcal N(0, I_d)$ (others 0); ` +
          String.raw`${read(String.raw` = \sum u_{abcd} v_a v_b v_c v_d`)}, whose mean is $3\Delta^2 u$, so the sum is scaled by ` +
          `$1/(3B) = ${texNumber(1 / (3 * B))}$.`;
  } else {
    switch (options.estimator) {
      case 'sparse':
        sentence =
          `${perPoint} $B = ${B}$ 2-jets whose first tangent is a coordinate vector $e_i$, $i$ drawn ` +
          `without replacement from $1..d$, and whose second tangent is $${second}$; ` +
          `${read(secondDerivative)}, and the sum over the $B$ jets is scaled by ` +
          `$d/B = ${texNumber(d / B)}$.`;
        break;
      case 'rademacher':
      case 'gaussian':
        sentence =
          `${perPoint} $B = ${B}$ 2-jets with a random first tangent $v$ ` +
          (options.estimator === 'rademacher'
            ? String.raw`(every entry $\pm 1$)`
            : String.raw`($v \sim \mathcal N(0, I_d)$)`) +
          ` and second tangent $${second}$; ` +
          String.raw`${read(String.raw` = v^\top \nabla^2 u\, v${timeTerm}`)}, and the sum is scaled by ` +
          `$1/B = ${texNumber(1 / B)}$.`;
        break;
      case 'exact':
        sentence =
          String.raw`${perPoint} all $d = ${d}$ 2-jets with first tangent $e_1, \dots, e_d$ and second tangent ` +
          `$${second}$; ${read(secondDerivative)}, summed with scale 1: exactly ` +
          String.raw`$${parabolic ? 'u_t + ' : ''}\Delta u$.`;
        break;
    }
  }
  const standardRows = 1 + R * K;
  if (memory.run.rowsPerPoint < standardRows) {
    sentence +=
      ` Collapsed: the top-order rows of all jets are summed inside the network, so each point ` +
      `carries ${memory.run.rowsPerPoint} rows instead of ${standardRows}.`;
  }
  if (parabolic) {
    const { terminalWeight: terminal, terminalGradientWeight: terminalGradient } = options;
    sentence +=
      ` The terminal loss takes ${options.points} points $(x, T)$, pushes the $d = ${d}$ one-hot ` +
      String.raw`first-order jets $e_1, \dots, e_d$ through the network to read $u$ and $\nabla_x u$, and adds ` +
      String.raw`$${terminal} \cdot \operatorname{mean}(|u - g|^2 + ${terminalGradient} \cdot \|\nabla_x u - \nabla g\|^2)$ ` +
      'to the mean squared residual.';
  }
  return sentence;
}

/** The PDE with its exact solution, the operator with its estimator, and how jets estimate it. */
export function showTeaching(plan: RunPlan): void {
  element('pde-title', HTMLElement).textContent = plan.pde.title;
  renderTex(element('pde-tex', HTMLElement), plan.pde.tex, true);
  renderTex(element('operator-tex', HTMLElement), plan.operator.tex, true);
  renderSentence(element('estimate-explanation', HTMLElement), explainEstimate(plan));
}

/**
 * While training, the panels that are open redraw once this many steps have passed since they
 * last did: each redraw waits for a chunk boundary and takes GPU time from the run.
 */
const panelRefreshEvery = 200;

/**
 * The jet inspector and the estimator panel under the teaching view, sharing the point they look
 * at. Closed panels cost nothing; open ones redraw when the run rests at a new step (Step, Pause,
 * a rebuild) and every `panelRefreshEvery` steps while it trains. Their numbers go to
 * `window.jetpinn.jet` and `window.jetpinn.estimator`.
 */
export class TeachingPanels {
  readonly inspector: JetInspector;
  readonly estimator: EstimatorPanel;
  private readonly radiusInput: HTMLInputElement;
  private readonly container: HTMLDivElement;
  /** `builds:step` each panel last asked for, so one step is not drawn twice. */
  private readonly shown = new Map<JetInspector | EstimatorPanel, string>();

  constructor(
    private readonly run: RunController,
    onChange: () => void,
  ) {
    const section = element('teaching', HTMLElement);
    const container = append(section, 'div');
    container.id = 'teaching-panels';
    this.container = container;
    const controls = append(container, 'div');
    controls.className = 'teaching-controls';
    const label = append(controls, 'label');
    renderSentence(
      label,
      String.raw`Point: $x = r\,(1, \dots, 1)/\sqrt d$ ($t = 0$ in time), $r =$`,
    );
    this.radiusInput = append(controls, 'input');
    this.radiusInput.id = 'teaching-radius';
    this.radiusInput.type = 'number';
    this.radiusInput.min = '0';
    this.radiusInput.max = '0.99';
    this.radiusInput.step = '0.05';
    this.radiusInput.value = '0.5';
    label.htmlFor = this.radiusInput.id;
    const published = () => {
      this.publish();
      onChange();
    };
    this.inspector = new JetInspector(container, run, () => this.radius(), published);
    this.estimator = new EstimatorPanel(container, run, () => this.radius(), published);
    // Opening a panel draws it at once (update() finds it has drawn nothing yet).
    for (const panel of [this.inspector, this.estimator]) {
      panel.element.addEventListener('toggle', () => this.update());
    }
    this.radiusInput.addEventListener('change', () => {
      for (const panel of [this.inspector, this.estimator]) if (panel.open) void panel.refresh();
    });
  }

  /** The radius field's value, kept in [0, 0.99]. */
  radius(): number {
    const value = Number(this.radiusInput.value);
    const radius = Number.isFinite(value) ? Math.min(Math.max(value, 0), 0.99) : 0.5;
    if (String(radius) !== this.radiusInput.value) this.radiusInput.value = String(radius);
    return radius;
  }

  /** After every change of the run: redraws the open panels when a redraw is due. */
  update(): void {
    const { state, step, builds, plan } = this.run;
    // Both panels look at one sampled jet of a ball or parabolic estimator at x = r·(1, …, 1)/√d;
    // a box problem samples nothing (its construction is the sentence above).
    this.container.hidden = plan.pde.domain === 'box';
    if (this.container.hidden || state === 'building' || state === 'error') return;
    for (const panel of [this.inspector, this.estimator]) {
      if (!panel.open) {
        this.shown.delete(panel);
        continue;
      }
      const key = `${builds}:${step}`;
      const last = this.shown.get(panel);
      if (last === key) continue;
      const [lastBuilds, lastStep] = (last ?? '-1:0').split(':').map(Number);
      const due =
        state !== 'running' || lastBuilds !== builds || step - lastStep >= panelRefreshEvery;
      if (!due) continue;
      this.shown.set(panel, key);
      void panel.refresh();
    }
  }

  /** The views whose buffers the current run holds (the estimator panel keeps none). */
  drawnViews(): ViewName[] {
    return this.inspector.drawn ? ['jet inspector'] : [];
  }

  private publish(): void {
    window.jetpinn.jet = { ...this.inspector.snapshot };
    if (this.estimator.snapshot) window.jetpinn.estimator = { ...this.estimator.snapshot };
  }
}
