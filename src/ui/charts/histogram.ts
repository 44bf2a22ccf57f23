/**
 * A D3 histogram in SVG of many estimates of one number, with the exact value, the sample mean
 * and a mean ± one standard deviation band drawn over it. The figure carries `data-samples`
 * (values binned) and every bar `data-count`, so tests count without reading pixels.
 */
import * as d3 from 'd3';
import { appendChartFrame, type Group, plotHeight, plotWidth } from './chartFrame.ts';

export interface HistogramOptions {
  /** Element id of the chart's figure. */
  id: string;
  title: string;
  xLabel: string;
}

/** Lines drawn over the bars; null leaves one out. */
export interface HistogramMarks {
  exact: number | null;
  mean: number;
  standardDeviation: number;
}

const targetBins = 30;

/** The x range: the values and marks, widened when they all coincide (the exact estimator). */
export function histogramDomain(
  values: ArrayLike<number>,
  marks: HistogramMarks,
): [number, number] {
  const all = [...Array.from(values), marks.mean, ...(marks.exact === null ? [] : [marks.exact])];
  const finite = all.filter(Number.isFinite);
  let low = d3.min(finite) ?? 0;
  let high = d3.max(finite) ?? 1;
  if (high - low <= 1e-9 * Math.max(Math.abs(low), Math.abs(high))) {
    const pad = Math.max(Math.abs(low) * 1e-3, 1e-6);
    low -= pad;
    high += pad;
  }
  return [low, high];
}

export class Histogram {
  private readonly figure: d3.Selection<HTMLElement, unknown, null, undefined>;
  private readonly xAxis: Group;
  private readonly yAxis: Group;
  private readonly bars: Group;
  private readonly marks: Group;

  constructor(parent: HTMLElement, options: HistogramOptions) {
    const { figure, plot, xAxis, yAxis } = appendChartFrame(parent, {
      ...options,
      kind: 'histogram',
      yLabel: 'estimates',
    });
    this.figure = figure.attr('data-samples', '0');
    this.xAxis = xAxis;
    this.yAxis = yAxis;
    this.bars = plot.append('g').attr('class', 'bars');
    this.marks = plot.append('g').attr('class', 'marks');
  }

  /** Bins and draws `values`; returns the number of values binned (the finite ones). */
  draw(values: ArrayLike<number>, marks: HistogramMarks): number {
    const finite = Array.from(values).filter(Number.isFinite);
    const [low, high] = histogramDomain(finite, marks);
    const x = d3.scaleLinear().domain([low, high]).nice(targetBins).range([0, plotWidth]);
    const [binLow, binHigh] = x.domain();
    const bins = d3.bin().domain([binLow, binHigh]).thresholds(x.ticks(targetBins))(finite);
    const y = d3
      .scaleLinear()
      .domain([0, d3.max(bins, (b) => b.length) ?? 1])
      .nice()
      .range([plotHeight, 0]);
    this.xAxis.call(d3.axisBottom(x).ticks(6, '~g'));
    this.yAxis.call(d3.axisLeft(y).ticks(5, '~s'));
    this.bars
      .selectAll<SVGRectElement, d3.Bin<number, number>>('rect')
      .data(bins)
      .join('rect')
      .attr('class', 'bar')
      .attr('x', (b) => x(b.x0 ?? binLow) + 0.5)
      .attr('width', (b) => Math.max(0, x(b.x1 ?? binHigh) - x(b.x0 ?? binLow) - 1))
      .attr('y', (b) => y(b.length))
      .attr('height', (b) => plotHeight - y(b.length))
      .attr('data-count', (b) => b.length);

    const clamp = (v: number) => Math.max(0, Math.min(plotWidth, x(v)));
    const band = [
      {
        id: 'spread',
        from: marks.mean - marks.standardDeviation,
        to: marks.mean + marks.standardDeviation,
      },
    ];
    this.marks
      .selectAll<SVGRectElement, (typeof band)[number]>('rect')
      .data(band)
      .join('rect')
      .attr('class', (b) => `mark-${b.id}`)
      .attr('x', (b) => clamp(b.from))
      .attr('width', (b) => Math.max(1, clamp(b.to) - clamp(b.from)))
      .attr('y', 0)
      .attr('height', plotHeight);
    const lines = [
      { id: 'mean', label: 'mean', value: marks.mean },
      ...(marks.exact === null ? [] : [{ id: 'exact', label: 'exact', value: marks.exact }]),
    ];
    const line = this.marks
      .selectAll<SVGGElement, (typeof lines)[number]>('g.mark')
      .data(lines, (l) => l.id)
      .join((enter) => {
        const group = enter.append('g');
        group.append('line');
        group.append('text');
        return group;
      })
      .attr('class', (l) => `mark mark-${l.id}`)
      .attr('data-value', (l) => l.value);
    line
      .select('line')
      .attr('x1', (l) => x(l.value))
      .attr('x2', (l) => x(l.value))
      .attr('y1', 0)
      .attr('y2', plotHeight);
    line
      .select('text')
      .attr('x', (l) => x(l.value) + 4)
      .attr('y', (l) => (l.id === 'exact' ? 10 : 24))
      .text((l) => l.label);
    this.figure.attr('data-samples', finite.length);
    return finite.length;
  }
}
