/**
 * A small D3 line chart in SVG: several series over training steps, optional vertical markers
 * (a divergence), a log or linear y axis. It draws what it is given; the caller decides what the
 * series are. Paths carry `data-points` (vertices drawn) so tests count points without pixels.
 */
import * as d3 from 'd3';
import { appendChartFrame, type Group, plotHeight, plotWidth } from './chartFrame.ts';
import { downsample, type Point } from './series.ts';

export interface ChartSeries {
  /** CSS class suffix (`series-<id>`) and the key the join uses. */
  id: string;
  label: string;
  points: readonly Point[];
  /** Also mark each point: for sparse series (evaluations) a lone point has no line to show it. */
  dots?: boolean;
}

export interface ChartMarker {
  x: number;
  label: string;
}

export interface LineChartOptions {
  /** Element id of the chart's figure. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  yScale: 'log' | 'linear';
}

export class LineChart {
  private readonly xAxis: Group;
  private readonly yAxis: Group;
  private readonly lines: Group;
  private readonly dots: Group;
  private readonly markers: Group;
  private readonly legend: Group;

  constructor(
    parent: HTMLElement,
    private readonly options: LineChartOptions,
  ) {
    const { plot, xAxis, yAxis } = appendChartFrame(parent, options);
    this.xAxis = xAxis;
    this.yAxis = yAxis;
    this.lines = plot.append('g').attr('class', 'lines');
    this.dots = plot.append('g').attr('class', 'dots');
    this.markers = plot.append('g').attr('class', 'markers');
    this.legend = plot.append('g').attr('class', 'legend');
  }

  /**
   * Draws the series; returns the vertices drawn per series id (after downsampling). The x axis
   * spans `xExtent` and whatever data lies beyond it, so charts of one run share their steps.
   */
  render(
    series: readonly ChartSeries[],
    markers: readonly ChartMarker[] = [],
    xExtent: readonly [number, number] = [0, 1],
  ): Map<string, number> {
    const log = this.options.yScale === 'log';
    const drawn = series.map((s) => ({
      ...s,
      points: downsample(s.points.filter((p) => Number.isFinite(p.y) && Number.isFinite(p.x))),
    }));
    const all = drawn.flatMap((s) => s.points);
    const xs = [...xExtent, ...all.map((p) => p.x), ...markers.map((m) => m.x)];
    const xMin = d3.min(xs) ?? 0;
    const xMax = d3.max(xs) ?? 1;
    const x = d3
      .scaleLinear()
      .domain([xMin, xMax > xMin ? xMax : xMin + 1])
      .range([0, plotWidth]);
    const { scale: y, floor } = log ? logScale(all) : linearScale(all);
    // A log axis has no place for y ≤ 0: such values sit on the bottom edge instead of vanishing.
    const line = d3
      .line<Point>()
      .x((p) => x(p.x))
      .y((p) => y(Math.max(p.y, floor)));

    this.xAxis.call(d3.axisBottom(x).ticks(6, '~s'));
    this.yAxis.call(d3.axisLeft(y).ticks(5, log ? '.0e' : '~s'));
    this.lines
      .selectAll<SVGPathElement, (typeof drawn)[number]>('path')
      .data(drawn, (s) => s.id)
      .join('path')
      .attr('class', (s) => `series series-${s.id}`)
      .attr('data-points', (s) => s.points.length)
      .attr('d', (s) => (s.points.length > 0 ? line(s.points) : null));
    this.dots
      .selectAll<SVGCircleElement, { id: string; point: Point }>('circle')
      .data(drawn.flatMap((s) => (s.dots ? s.points.map((point) => ({ id: s.id, point })) : [])))
      .join('circle')
      .attr('class', (d) => `dot series-${d.id}`)
      .attr('r', 2.5)
      .attr('cx', (d) => x(d.point.x))
      .attr('cy', (d) => y(Math.max(d.point.y, floor)));
    const marker = this.markers
      .selectAll<SVGGElement, ChartMarker>('g')
      .data(markers)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'marker');
        g.append('line').attr('y1', 0).attr('y2', plotHeight);
        g.append('text').attr('y', 12).attr('dx', 4);
        return g;
      })
      .attr('transform', (m) => `translate(${x(m.x)},0)`);
    marker.select('text').text((m) => m.label);
    const entry = this.legend
      .selectAll<SVGGElement, (typeof drawn)[number]>('g')
      .data(drawn, (s) => s.id)
      .join((enter) => {
        const g = enter.append('g');
        g.append('line').attr('x1', 0).attr('x2', 16).attr('y1', -4).attr('y2', -4);
        g.append('text').attr('x', 20);
        return g;
      })
      .attr('class', (s) => `legend-entry series-${s.id}`)
      .attr('transform', (_, i) => `translate(${plotWidth - 130},${14 + i * 15})`);
    entry.select('text').text((s) => s.label);
    return new Map(drawn.map((s) => [s.id, s.points.length]));
  }
}

interface YScale {
  scale: d3.ScaleContinuousNumeric<number, number>;
  /** Smallest value drawn where it is: lower ones are clamped to it. */
  floor: number;
}

function logScale(points: readonly Point[]): YScale {
  const positive = points.map((p) => p.y).filter((y) => y > 0);
  let low = d3.min(positive) ?? 1e-3;
  let high = d3.max(positive) ?? 1;
  if (high / low < 10) {
    // Less than a decade of data still gets a decade of axis, so ticks have labels.
    const middle = Math.sqrt(low * high);
    low = middle / Math.sqrt(10);
    high = middle * Math.sqrt(10);
  }
  const scale = d3.scaleLog().domain([low, high]).range([plotHeight, 0]).nice();
  return { scale, floor: scale.domain()[0] };
}

function linearScale(points: readonly Point[]): YScale {
  const high = d3.max(points, (p) => p.y) ?? 1;
  const scale = d3
    .scaleLinear()
    .domain([0, high > 0 ? high * 1.1 : 1])
    .range([plotHeight, 0])
    .nice();
  return { scale, floor: -Infinity };
}
