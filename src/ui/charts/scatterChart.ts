/**
 * A D3 scatter plot in SVG with linear axes: one dot per point, the y axis symmetric about 0 with
 * a zero line (for signed values such as a residual). The dots' group carries `data-points` (dots
 * drawn) so tests count them without pixels.
 */
import * as d3 from 'd3';
import { appendChartFrame, type Group, plotHeight, plotWidth } from './chartFrame.ts';

export interface ScatterOptions {
  /** Element id of the chart's figure. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** The x axis spans this range whatever the data. */
  xDomain: [number, number];
}

export class ScatterChart {
  private readonly yAxis: Group;
  private readonly zero: d3.Selection<SVGLineElement, unknown, null, undefined>;
  private readonly dots: Group;
  private readonly caption: d3.Selection<HTMLElement, unknown, null, undefined>;
  private readonly x: d3.ScaleLinear<number, number>;

  constructor(parent: HTMLElement, options: ScatterOptions) {
    const frame = appendChartFrame(parent, { ...options, kind: 'scatter' });
    const { plot } = frame;
    this.caption = frame.caption;
    this.yAxis = frame.yAxis;
    this.x = d3.scaleLinear().domain(options.xDomain).range([0, plotWidth]);
    frame.xAxis.call(d3.axisBottom(this.x).ticks(6));
    this.zero = plot.append('line').attr('class', 'zero-line').attr('x2', plotWidth);
    this.dots = plot.append('g').attr('class', 'dots').attr('data-points', '0');
  }

  /** Replaces the caption (what the points are changes with the step). */
  setTitle(title: string): void {
    this.caption.text(title);
  }

  /** Draws the finite (x, y) pairs; returns how many. */
  draw(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
    const points = Array.from({ length: xs.length }, (_, k) => [xs[k], ys[k]] as const).filter(
      ([x, y]) => Number.isFinite(x) && Number.isFinite(y),
    );
    const reach = d3.max(points, ([, y]) => Math.abs(y)) ?? 0;
    // An all-zero residual still needs a span for its axis.
    const m = reach > 0 ? reach * 1.05 : 1;
    const y = d3.scaleLinear().domain([-m, m]).range([plotHeight, 0]);
    this.yAxis.call(d3.axisLeft(y).ticks(5, '.2~g'));
    this.zero.attr('y1', y(0)).attr('y2', y(0));
    this.dots
      .selectAll('circle')
      .data(points)
      .join('circle')
      .attr('r', 2.5)
      .attr('cx', ([px]) => this.x(px))
      .attr('cy', ([, py]) => y(py));
    this.dots.attr('data-points', String(points.length));
    return points.length;
  }
}
