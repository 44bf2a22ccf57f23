/**
 * The jet inspector: one point's Taylor jet through every layer of the current network. The
 * point and the jet are the operator's own (one of the jets an estimate is made of: first
 * tangent e_i or the all-ones vector, plus the operator's fixed second tangent along t for the
 * parabolic problems); the numbers are the GPU kernels' (src/train/jetInspection.ts), shown next to
 * the float64 reference on the same weights. Per layer a table gives y_0..y_K of a few units with
 * a sparkline; the output's J_K = K!·u_K is the number the estimator reads.
 */
import * as d3 from 'd3';
import { factorial } from '../jet/series.ts';
import type { JetOperator } from '../operators/operator.ts';
import {
  type InspectedJet,
  inspectionPoint,
  JetInspection,
  referenceInspection,
  relativeDeviations,
} from '../train/jetInspection.ts';
import type { Trainer } from '../train/trainer.ts';
import { renderSentence, texNumber, typesetLabel } from './math.ts';
import { viewLeftOut } from './memoryEstimate.ts';
import type { RunController } from './runController.ts';
import {
  append,
  coalesced,
  errorMessage,
  formatValue,
  numberInput,
  selectInput,
  teachingPanel,
} from './teachingDom.ts';

/** Units shown per layer. */
const unitsShown = 4;

/** What the page exposes as `window.jetpinn.jet`. */
export interface JetInspectorSnapshot {
  /** The step whose weights were inspected; null before the first inspection. */
  step: number | null;
  point: number[];
  /** The derivative tangents v_1..v_K (null = 0). */
  tangents: (number[] | null)[];
  order: number;
  /** J_0..J_K of the output from the GPU, and from the float64 reference on the same weights. */
  derivatives: number[];
  referenceDerivatives: number[];
  /** Per layer (then the output) max |GPU − float64| relative to the layer's largest value. */
  deviations: number[];
  /** The operator's scale s for a jet like this one and s·J_K: its term of the estimate. */
  scale: number;
  term: number;
  refreshes: number;
}

export type Direction = 'coordinate' | 'ones';

/** The jet's tangents: v_1 = e_i or ones over the drawn coordinates, plus the operator's extra. */
export function inspectorTangents(
  operator: JetOperator,
  inputWidth: number,
  direction: Direction,
  coordinate: number,
): (Float64Array | null)[] {
  const tangents: (Float64Array | null)[] = Array.from({ length: operator.order }, () => null);
  const spec = operator.draw.kind === 'random' ? operator.draw.spec : null;
  const range = spec?.range ?? operator.dimension;
  const first = new Float64Array(inputWidth);
  if (direction === 'ones') first.fill(1, 0, range);
  else first[coordinate] = 1;
  tangents[0] = first;
  if (spec?.extra) {
    const extra = new Float64Array(inputWidth);
    extra[spec.extra.index] = spec.extra.value;
    tangents[spec.extra.order - 1] = extra;
  }
  return tangents;
}

/** Whether the operator's own jets have first tangents of this kind (e_i, or ±1 entries). */
function drawsLike(operator: JetOperator, direction: Direction): boolean {
  if (operator.draw.kind !== 'random') return direction === 'coordinate';
  const kind = operator.draw.spec.kind;
  return direction === 'coordinate' ? kind === 'sparse' || kind === 'exact' : kind === 'rademacher';
}

export class JetInspector {
  readonly element: HTMLDetailsElement;
  private readonly direction: HTMLSelectElement;
  private readonly coordinate: HTMLInputElement;
  private readonly message: HTMLParagraphElement;
  private readonly reading: HTMLParagraphElement;
  private readonly tables: HTMLDivElement;
  private inspection: JetInspection | null = null;
  private inspectionTrainer: Trainer | null = null;
  snapshot: JetInspectorSnapshot = {
    step: null,
    point: [],
    tangents: [],
    order: 0,
    derivatives: [],
    referenceDerivatives: [],
    deviations: [],
    scale: NaN,
    term: NaN,
    refreshes: 0,
  };

  constructor(
    parent: HTMLElement,
    private readonly run: RunController,
    private readonly radius: () => number,
    private readonly onChange: () => void,
  ) {
    const { element, controls, message } = teachingPanel(
      parent,
      'jet-inspector',
      'Jet inspector: one point’s jet through every layer',
    );
    this.element = element;
    this.message = message;
    this.direction = selectInput(controls, 'jet-direction', 'First tangent v₁', [
      ['coordinate', 'coordinate vector eᵢ'],
      ['ones', 'all ones (a Rademacher draw)'],
    ]);
    this.coordinate = numberInput(controls, 'jet-coordinate', 'i', 0, 0);
    this.coordinate.value = '0';
    // The labels name formulas; an <option> holds text only, so the select's stays Unicode.
    typesetLabel(this.direction, 'First tangent $v_1$');
    typesetLabel(this.coordinate, '$i$');
    this.reading = append(this.element, 'p');
    this.reading.id = 'jet-reading';
    this.tables = append(this.element, 'div');
    this.tables.className = 'jet-tables';
    for (const input of [this.direction, this.coordinate]) {
      input.addEventListener('change', () => void this.refresh());
    }
  }

  get open(): boolean {
    return this.element.open;
  }

  /** Whether the current run holds the inspection's buffers (built on its trainer). */
  get drawn(): boolean {
    return this.inspection !== null && this.run.isCurrent(this.inspectionTrainer);
  }

  /** Inspects the jet on the current weights (between training chunks) and redraws. */
  readonly refresh = coalesced(async () => {
    try {
      const result = await this.run.withTrainer(async (trainer) => {
        // Read inside the run's queue: a rebuild queued before this changes plan and trainer.
        const leftOut = viewLeftOut(this.run.plan.memory, 'jet inspector');
        if (leftOut !== null) {
          // Ticking "rollback copy" grows the same trainer's run: free what it no longer holds.
          this.inspection?.destroy();
          this.inspection = null;
          return { leftOut };
        }
        const operator = this.run.plan.operator;
        const d = trainer.options.dimension;
        this.coordinate.max = String(d - 1);
        const wanted = Number(this.coordinate.value);
        const coordinate = Number.isInteger(wanted) && wanted >= 0 && wanted < d ? wanted : 0;
        this.coordinate.value = String(coordinate);
        const direction: Direction = this.direction.value === 'ones' ? 'ones' : 'coordinate';
        const point = inspectionPoint(trainer.options, this.radius());
        const width = trainer.architecture.widths[0];
        const tangents = inspectorTangents(operator, width, direction, coordinate);
        const input = { point, tangents };
        const inspection = await this.inspectionFor(trainer, operator.order);
        const gpu = await inspection.inspect(input);
        const reference = referenceInspection(
          trainer.architecture,
          await trainer.viewParameters(),
          input,
        );
        return { gpu, reference, input, step: trainer.step, direction, coordinate, operator };
      });
      if (result === null) {
        this.message.textContent = 'No network to inspect yet.';
        return;
      }
      if ('leftOut' in result) {
        const reason = result.leftOut;
        this.message.textContent = `The jet inspector is not built for this run: ${reason}.`;
        return;
      }
      const { gpu, reference, input, step, direction, coordinate, operator } = result;
      const K = gpu.order;
      const scale = operator.quantities[0].terms[0].scale;
      this.snapshot = {
        step,
        point: Array.from(input.point),
        tangents: input.tangents.map((t) => (t === null ? null : Array.from(t))),
        order: K,
        derivatives: Array.from(gpu.derivatives),
        referenceDerivatives: Array.from(reference.derivatives),
        deviations: relativeDeviations(gpu, reference),
        scale,
        term: scale * gpu.derivatives[K],
        refreshes: this.snapshot.refreshes + 1,
      };
      this.draw(gpu, direction, coordinate, operator);
      this.onChange();
    } catch (error) {
      this.message.textContent = `Could not inspect the jet: ${errorMessage(error)}`;
    }
  });

  private async inspectionFor(trainer: Trainer, order: number): Promise<JetInspection> {
    const current = this.inspection;
    if (current && this.inspectionTrainer === trainer && current.order === order) return current;
    // A disposed trainer already freed the old inspection's buffers; destroy() is then a no-op.
    current?.destroy();
    this.inspection = null;
    this.inspection = await JetInspection.create(trainer, order);
    this.inspectionTrainer = trainer;
    return this.inspection;
  }

  private draw(
    jet: InspectedJet,
    direction: Direction,
    coordinate: number,
    operator: JetOperator,
  ): void {
    const { snapshot } = this;
    const K = jet.order;
    const d = this.run.plan.options.dimension;
    const spacetime = snapshot.point.length > d;
    const v1 =
      direction === 'ones' ? String.raw`$v_1 = (1, \dots, 1)$` : `$v_1 = e_{${coordinate}}$`;
    const extra = snapshot.tangents
      .map((t, k) =>
        k > 0 && t !== null ? String.raw`$v_${k + 1} = ${texNumber(t[d])}\,e_t$` : null,
      )
      .filter((t): t is string => t !== null);
    renderSentence(
      this.message,
      String.raw`Step ${snapshot.step}. Point $x = r\,(1, \dots, 1)/\sqrt d$ with $r = ${texNumber(this.radius())}$` +
        `${spacetime ? ', $t = 0$' : ''}; input curve ` +
        String.raw`$g(t) = x + \sum_k v_k t^k/k!$ with ${[v1, ...extra].join(', ')}. ` +
        `Numbers: the GPU forward kernels on the trainer’s weights (f32); the float64 reference on ` +
        `the current weights agrees to ${formatValue(Math.max(...snapshot.deviations))} (largest relative ` +
        `deviation of any layer).`,
    );
    const J = snapshot.derivatives[K];
    renderSentence(
      this.reading,
      `The output’s order-${K} coefficient $u_${K} = ${texNumber(jet.output[K])}$ gives ` +
        String.raw`$J_${K} = ${K}!\,u_${K} = ${texNumber(J)}$, the derivative of order ${K} of $u$ along the curve. ` +
        `${operator.name} scales such a jet’s $J_${K}$ by $s = ${texNumber(snapshot.scale)}$ and sums ` +
        String.raw`over its ${operator.directions} jets: this jet’s term is $s\,J_${K} = ${texNumber(snapshot.term)}$.` +
        (drawsLike(operator, direction)
          ? ''
          : ` (${operator.name} draws other first tangents; each is read the same way.)`),
    );

    const stages: { title: string; width: number; values: Float64Array; label: string }[] = [];
    const inputWidth = jet.input.length / (K + 1);
    const inputUnits = direction === 'coordinate' ? [coordinate] : [0, 1, 2, 3];
    stages.push({
      title: 'Input curve $g(t)$: coefficients $c_k = v_k/k!$',
      width: inputWidth,
      values: jet.input,
      label: 'x',
    });
    jet.layers.forEach((layer, l) => {
      const last = l === jet.layers.length - 1;
      stages.push({
        title: last
          ? `Output layer ${l + 1}: $m = W s + b$ (linear)`
          : `Layer ${l + 1}: $z = W x + b$`,
        width: layer.width,
        values: layer.preActivation,
        label: last ? 'm' : 'z',
      });
      if (layer.activation) {
        stages.push({
          title: String.raw`Layer ${l + 1}: $\sigma(z)$, Faà di Bruno`,
          width: layer.width,
          values: layer.activation,
          label: 's',
        });
      }
    });
    if (jet.boundary) {
      stages.push({
        title: 'Boundary factor $b(g(t))$',
        width: 1,
        values: jet.boundary,
        label: 'b',
      });
    }
    stages.push({
      title: String.raw`$u = b\,m$: coefficients $u_k$`,
      width: 1,
      values: jet.output,
      label: 'u',
    });
    const derivatives = Float64Array.from(
      { length: K + 1 },
      (_, k) => factorial(k) * jet.output[k],
    );
    stages.push({
      title: String.raw`$u$: derivatives $J_k = k!\,u_k$`,
      width: 1,
      values: derivatives,
      label: 'J',
    });

    const rowsOf = (stage: (typeof stages)[number]) => {
      const units =
        stage.label === 'x'
          ? inputUnits.filter((i) => i < stage.width)
          : d3.range(Math.min(unitsShown, stage.width));
      return units.map((unit) => ({
        name: stage.width === 1 ? stage.label : `${stage.label}[${unit}]`,
        series: d3.range(K + 1).map((k) => stage.values[k * stage.width + unit]),
      }));
    };
    // Rebuilt each time: the order, the layers and the units shown change with the run.
    const container = d3.select(this.tables);
    container.selectAll('*').remove();
    for (const stage of stages) {
      const table = container.append('table').attr('class', 'jet-table');
      const more = stage.width > unitsShown && stage.label !== 'x';
      const caption = table.append('caption').node();
      if (caption) {
        renderSentence(
          caption,
          `${stage.title}${more ? ` (${unitsShown} of ${stage.width} units)` : ''}`,
        );
      }
      table
        .append('thead')
        .append('tr')
        .selectAll('th')
        .data(['unit', ...d3.range(K + 1).map((k) => `k = ${k}`), 'k = 0…K'])
        .join('th')
        .text((t) => t);
      const rows = table.append('tbody').selectAll('tr').data(rowsOf(stage)).join('tr');
      rows
        .selectAll('td')
        .data((r) => [r.name, ...r.series.map(formatValue)])
        .join('td')
        .text((t) => t);
      rows
        .append('td')
        .attr('class', 'spark')
        .append('svg')
        .attr('viewBox', '0 0 60 16')
        .append('path')
        .attr('d', (r) => sparkline(r.series));
    }
  }
}

/** A 60 × 16 polyline of the coefficients, scaled to their largest magnitude (0 in the middle). */
function sparkline(series: readonly number[]): string {
  const largest = Math.max(...series.map(Math.abs), 1e-30);
  const x = d3
    .scaleLinear()
    .domain([0, Math.max(series.length - 1, 1)])
    .range([2, 58]);
  const y = d3.scaleLinear().domain([-largest, largest]).range([14, 2]);
  return (
    d3
      .line<number>()
      .x((_, k) => x(k))
      .y((v) => y(v))(series) ?? ''
  );
}
