/**
 * The frame the page's SVG charts share: a figure with a caption, an SVG on a fixed viewBox
 * (scaled by CSS, so a chart follows its container's width without resize handling), the plot
 * area inside the margins with an x axis group at its bottom, a y axis group and both axis labels.
 */
import * as d3 from 'd3';

export const frameWidth = 480;
export const frameHeight = 250;
const margin = { top: 12, right: 16, bottom: 38, left: 62 };
export const plotWidth = frameWidth - margin.left - margin.right;
export const plotHeight = frameHeight - margin.top - margin.bottom;

export type Group = d3.Selection<SVGGElement, unknown, null, undefined>;

export interface FrameOptions {
  /** Element id of the figure. */
  id: string;
  /** Extra class of the figure besides `chart`. */
  kind?: string;
  title: string;
  xLabel: string;
  yLabel: string;
}

export interface ChartFrame {
  figure: d3.Selection<HTMLElement, unknown, null, undefined>;
  caption: d3.Selection<HTMLElement, unknown, null, undefined>;
  plot: Group;
  xAxis: Group;
  yAxis: Group;
}

export function appendChartFrame(parent: HTMLElement, options: FrameOptions): ChartFrame {
  const figure = d3
    .select(parent)
    .append('figure')
    .attr('class', options.kind ? `chart ${options.kind}` : 'chart')
    .attr('id', options.id);
  const caption = figure.append('figcaption').text(options.title);
  const svg = figure
    .append('svg')
    .attr('viewBox', `0 0 ${frameWidth} ${frameHeight}`)
    .attr('role', 'img')
    .attr('aria-label', options.title);
  const plot = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
  const xAxis = plot
    .append('g')
    .attr('class', 'axis')
    .attr('transform', `translate(0,${plotHeight})`);
  const yAxis = plot.append('g').attr('class', 'axis');
  plot
    .append('text')
    .attr('class', 'axis-label')
    .attr('x', plotWidth / 2)
    .attr('y', plotHeight + 32)
    .attr('text-anchor', 'middle')
    .text(options.xLabel);
  plot
    .append('text')
    .attr('class', 'axis-label')
    .attr('transform', `translate(${-48},${plotHeight / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text(options.yLabel);
  return { figure, caption, plot, xAxis, yAxis };
}
