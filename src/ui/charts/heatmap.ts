/**
 * A heatmap of a square grid over [−1, 1]²: the cells go to a canvas (one pixel per cell, scaled
 * up by CSS without smoothing), which sits on the plot area of an SVG that carries the D3 axes
 * and a colour legend. Cells whose value is NaN stay blank. The canvas carries `data-cells` (cells
 * drawn) so tests count cells without reading pixels.
 */
import * as d3 from 'd3';

export interface HeatmapOptions {
  /** Element id of the chart's figure. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** Sequential for values; diverging (centred on 0) for signed errors. */
  scheme: 'sequential' | 'diverging';
}

// A fixed viewBox scaled by CSS, as in lineChart.ts; the canvas is placed in percentages of it.
const width = 320;
const height = 262;
const margin = { top: 10, left: 44 };
const side = 200;
const legend = { gap: 14, width: 12 };

type Group = d3.Selection<SVGGElement, unknown, null, undefined>;
type Text = d3.Selection<SVGTextElement, unknown, null, undefined>;

const percent = (value: number, of: number) => `${(100 * value) / of}%`;

export class Heatmap {
  private readonly canvas: HTMLCanvasElement;
  private readonly legendStops: d3.Selection<SVGLinearGradientElement, unknown, null, undefined>;
  private readonly legendAxis: Group;
  private readonly labels: { x: Text; y: Text };

  constructor(
    parent: HTMLElement,
    private readonly options: HeatmapOptions,
  ) {
    const figure = d3
      .select(parent)
      .append('figure')
      .attr('class', 'chart heatmap')
      .attr('id', options.id);
    figure.append('figcaption').text(options.title);
    const frame = figure.append('div').attr('class', 'heatmap-frame');
    const svg = frame
      .append('svg')
      .attr('viewBox', `0 0 ${width} ${height}`)
      .attr('role', 'img')
      .attr('aria-label', options.title);
    const plot = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
    const position = d3.scaleLinear().domain([-1, 1]).range([0, side]);
    plot
      .append('g')
      .attr('class', 'axis')
      .attr('transform', `translate(0,${side})`)
      .call(d3.axisBottom(position).ticks(5));
    plot
      .append('g')
      .attr('class', 'axis')
      .call(d3.axisLeft(position.copy().range([side, 0])).ticks(5));
    plot.append('rect').attr('class', 'heatmap-border').attr('width', side).attr('height', side);
    const x = plot
      .append('text')
      .attr('class', 'axis-label')
      .attr('x', side / 2)
      .attr('y', side + 32)
      .attr('text-anchor', 'middle')
      .text(options.xLabel);
    const y = plot
      .append('text')
      .attr('class', 'axis-label')
      .attr('transform', `translate(-32,${side / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .text(options.yLabel);
    this.labels = { x, y };

    const gradientId = `${options.id}-gradient`;
    this.legendStops = svg
      .append('defs')
      .append('linearGradient')
      .attr('id', gradientId)
      .attr('x1', 0)
      .attr('y1', 1)
      .attr('x2', 0)
      .attr('y2', 0);
    const key = plot.append('g').attr('transform', `translate(${side + legend.gap},0)`);
    key
      .append('rect')
      .attr('width', legend.width)
      .attr('height', side)
      .attr('fill', `url(#${gradientId})`);
    this.legendAxis = key
      .append('g')
      .attr('class', 'axis')
      .attr('transform', `translate(${legend.width},0)`);

    this.canvas = frame.append('canvas').attr('class', 'heatmap-cells').node() as HTMLCanvasElement;
    this.canvas.style.left = percent(margin.left, width);
    this.canvas.style.top = percent(margin.top, height);
    this.canvas.style.width = percent(side, width);
    this.canvas.style.height = percent(side, height);
    this.canvas.dataset.cells = '0';
  }

  /** Names the axes (the slice's coordinates change with the pickers). */
  setAxisLabels(xLabel: string, yLabel: string): void {
    this.labels.x.text(xLabel);
    this.labels.y.text(yLabel);
  }

  /**
   * Draws `values` (resolution² of them, row-major, rows from y = −1 up) coloured over `domain`;
   * returns the cells drawn (the finite values).
   */
  draw(values: Float32Array, resolution: number, domain: [number, number]): number {
    const colour = this.colourScale(domain);
    this.canvas.width = resolution;
    this.canvas.height = resolution;
    const context = this.canvas.getContext('2d');
    if (!context) throw new Error('the browser gave no 2-D canvas context');
    const image = context.createImageData(resolution, resolution);
    let drawn = 0;
    values.forEach((value, cell) => {
      if (!Number.isFinite(value)) return;
      const { r, g, b } = d3.rgb(colour(value));
      // Canvas rows run top-down, the grid's rows bottom-up.
      const row = resolution - 1 - Math.floor(cell / resolution);
      const offset = 4 * (row * resolution + (cell % resolution));
      image.data.set([r, g, b, 255], offset);
      drawn++;
    });
    context.putImageData(image, 0, 0);
    this.canvas.dataset.cells = String(drawn);

    const [low, high] = colour.domain();
    const samples = d3.range(11).map((k) => low + ((high - low) * k) / 10);
    this.legendStops
      .selectAll('stop')
      .data(samples)
      .join('stop')
      .attr('offset', (_, k) => `${k * 10}%`)
      .attr('stop-color', (v) => colour(v));
    this.legendAxis.call(
      d3.axisRight(d3.scaleLinear().domain([low, high]).range([side, 0])).ticks(5, '.2~g'),
    );
    return drawn;
  }

  /** Value → colour; a diverging scale is centred on 0 with positive errors red. */
  private colourScale(domain: [number, number]): d3.ScaleSequential<string> {
    // A flat field (an untrained network's zeros, a zero error) still needs a span to colour.
    const pad = domain[1] > domain[0] ? 0 : Math.max(Math.abs(domain[0]) * 1e-3, 1e-12);
    domain = [domain[0] - pad, domain[1] + pad];
    if (this.options.scheme === 'diverging') {
      const m = Math.max(Math.abs(domain[0]), Math.abs(domain[1]));
      return d3.scaleSequential((t) => d3.interpolateRdBu(1 - t)).domain([-m, m]);
    }
    return d3.scaleSequential(d3.interpolateViridis).domain(domain);
  }
}
