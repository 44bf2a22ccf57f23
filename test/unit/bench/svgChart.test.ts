import { describe, expect, it } from 'vitest';
import { decadeDomain, decadeTicks, lineChartSvg } from '../../../bench/lib/svgChart.ts';

const count = (svg: string, pattern: RegExp): number => (svg.match(pattern) ?? []).length;

describe('lineChartSvg', () => {
  const svg = lineChartSvg({
    title: 'it/s vs d',
    xLabel: 'd',
    yLabel: 'it/s',
    series: [
      {
        label: 'sparse',
        points: [
          { x: 100, y: 14 },
          { x: 1000, y: 7 },
          { x: 10_000, y: 0.9 },
        ],
      },
      // A zero rate cannot sit on a log axis: that point is left out, not drawn at the edge.
      {
        label: 'exact',
        points: [
          { x: 10, y: 20 },
          { x: 100, y: 2.5 },
          { x: 1000, y: 0 },
        ],
      },
      { label: 'A100, another machine', reference: true, points: [{ x: 100, y: 1834 }] },
    ],
  });

  it('draws one path per series and one marker per positive point', () => {
    expect(count(svg, /<path /g)).toBe(3);
    expect(count(svg, /<circle /g)).toBe(3 + 2 + 1);
    expect(count(svg, /stroke-dasharray/g)).toBe(2); // the reference line and its legend entry
  });

  it('puts a tick at every power of ten of both axes', () => {
    // x: 10 … 10^4 → 4 ticks; y: 0.1 … 10^4 → 6 ticks.
    expect(count(svg, /class="tick"/g)).toBe(4 + 6);
    expect(svg).toContain('>10k<');
    expect(svg).toContain('>0.1<');
  });

  it('places points on log scales', () => {
    // x = 100 and x = 1000 are one decade apart, as are 10 and 100: equal pixel steps.
    const xs = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(xs[1] - xs[0]).toBeCloseTo(xs[4] - xs[3], 0);
  });

  it('escapes text', () => {
    expect(lineChartSvg({ title: 'a < b & c', xLabel: 'x', yLabel: 'y', series: [] })).toContain(
      'a &lt; b &amp; c',
    );
  });
});

describe('decades', () => {
  it('spans the values with whole decades', () => {
    expect(decadeDomain([3, 450])).toEqual([1, 1000]);
    expect(decadeTicks([0.1, 100])).toEqual([0.1, 1, 10, 100]);
    expect(decadeDomain([])).toEqual([1, 10]);
  });
});
