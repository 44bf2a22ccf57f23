/**
 * Log–log line charts as SVG text, built in Node with d3's scales and path generators (no DOM):
 * one line with point markers per series, axes with a tick at every power of ten, a legend.
 * Reference series (another machine's numbers) are dashed and say so in the legend.
 */
import { format, line, scaleLog } from 'd3';

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartSeries {
  label: string;
  points: ChartPoint[];
  /** Dashed, hollow markers: numbers from elsewhere, not measured here. */
  reference?: boolean;
}

export interface ChartSpec {
  title: string;
  /** A second, smaller title line (setup, adapter). */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  width?: number;
  height?: number;
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The decade around positive values: [10^floor(log min), 10^ceil(log max)]. */
export function decadeDomain(values: readonly number[]): [number, number] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [1, 10];
  const low = 10 ** Math.floor(Math.log10(Math.min(...positive)));
  let high = 10 ** Math.ceil(Math.log10(Math.max(...positive)));
  if (high <= low) high = low * 10;
  return [low, high];
}

/** Powers of ten from low to high inclusive. */
export function decadeTicks([low, high]: [number, number]): number[] {
  const ticks: number[] = [];
  for (let e = Math.round(Math.log10(low)); e <= Math.round(Math.log10(high)); e++)
    ticks.push(10 ** e);
  return ticks;
}

/** 0.1, 1, 10, 100, 1k, 10k, 1M: SI prefixes only upwards (d3's 'm' for milli would mislead). */
const tickText = (v: number): string => (v >= 1e3 ? format('~s')(v) : format('~g')(v));

export function lineChartSvg(spec: ChartSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 420;
  const legendWidth = 330;
  const margin = { top: 48, right: legendWidth + 16, bottom: 48, left: 64 };
  const plotted = spec.series
    .map((s) => ({ ...s, points: s.points.filter((p) => p.x > 0 && p.y > 0) }))
    .filter((s) => s.points.length > 0);
  const all = plotted.flatMap((s) => s.points);
  const xDomain = decadeDomain(all.map((p) => p.x));
  const yDomain = decadeDomain(all.map((p) => p.y));
  const x = scaleLog()
    .domain(xDomain)
    .range([margin.left, width - margin.right]);
  const y = scaleLog()
    .domain(yDomain)
    .range([height - margin.bottom, margin.top]);
  const path = line<ChartPoint>()
    .x((p) => x(p.x))
    .y((p) => y(p.y));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="18" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  if (spec.subtitle) {
    out.push(`<text x="${margin.left}" y="34" fill="#444">${escapeXml(spec.subtitle)}</text>`);
  }
  const [left, right] = x.range();
  const [bottom, top] = y.range();
  out.push('<g class="x-axis">');
  for (const t of decadeTicks(xDomain)) {
    const px = x(t).toFixed(1);
    out.push(
      `<line class="tick" x1="${px}" x2="${px}" y1="${top}" y2="${bottom}" stroke="#ddd"/>`,
      `<text x="${px}" y="${bottom + 16}" text-anchor="middle">${tickText(t)}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="black"/>`,
    `<text x="${(left + right) / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    '</g>',
    '<g class="y-axis">',
  );
  for (const t of decadeTicks(yDomain)) {
    const py = y(t).toFixed(1);
    out.push(
      `<line class="tick" x1="${left}" x2="${right}" y1="${py}" y2="${py}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${tickText(t)}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="black"/>`,
    `<text transform="translate(16 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
    '</g>',
  );
  plotted.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const dash = s.reference ? ' stroke-dasharray="6 4"' : '';
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    out.push(
      `<g class="series${s.reference ? ' reference' : ''}">`,
      `<path d="${path(sorted)}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
      ...sorted.map(
        (p) =>
          `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3.5" fill="${s.reference ? 'white' : color}" stroke="${color}"/>`,
      ),
      '</g>',
    );
    const ly = margin.top + 8 + i * 18;
    const lx = width - legendWidth;
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
