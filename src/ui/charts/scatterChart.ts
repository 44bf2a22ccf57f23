/**
 * A D3 scatter plot in SVG with linear axes: one dot per point, the y axis symmetric about 0 with
 * a zero line (for signed values such as a residual). The dots' group carries `data-points` (dots
 * drawn) so tests count them without pixels.
 */
import * as d3 from 'd3';

export interface ScatterOptions {
  /** Element id of the chart's figure. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** The x axis spans this range whatever the data. */
  xDomain: [number, number];
}

const width = 480;
const height = 250;
const margin = { top: 12, right: 16, bottom: 38, left: 62 };
const innerWidth = width - margin.left - margin.right;
const innerHeight = height - margin.top - margin.bottom;

type Group = d3.Selection<SVGGElement, unknown, null, undefined>;

export class ScatterChart {
  private readonly yAxis: Group;
  private readonly zero: d3.Selection<SVGLineElement, unknown, null, undefined>;
  private readonly dots: Group;
  private readonly caption: d3.Selection<HTMLElement, unknown, null, undefined>;
  private readonly x: d3.ScaleLinear<number, number>;

  constructor(parent: HTMLElement, options: ScatterOptions) {
    const figure = d3
      .select(parent)
      .append('figure')
      .attr('class', 'chart scatter')
      .attr('id', options.id);
    this.caption = figure.append('figcaption').text(options.title);
    const svg = figure
      .append('svg')
      .attr('viewBox', `0 0 ${width} ${height}`)
      .attr('role', 'img')
      .attr('aria-label', options.title);
    const plot = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
    this.x = d3.scaleLinear().domain(options.xDomain).range([0, innerWidth]);
    plot
      .append('g')
      .attr('class', 'axis')
      .attr('transform', `translate(0,${innerHeight})`)
      .call(d3.axisBottom(this.x).ticks(6));
    this.yAxis = plot.append('g').attr('class', 'axis');
    this.zero = plot.append('line').attr('class', 'zero-line').attr('x2', innerWidth);
    plot
      .append('text')
      .attr('class', 'axis-label')
      .attr('x', innerWidth / 2)
      .attr('y', innerHeight + 32)
      .attr('text-anchor', 'middle')
      .text(options.xLabel);
    plot
      .append('text')
      .attr('class', 'axis-label')
      .attr('transform', `translate(${-48},${innerHeight / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .text(options.yLabel);
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
    const y = d3.scaleLinear().domain([-m, m]).range([innerHeight, 0]);
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
