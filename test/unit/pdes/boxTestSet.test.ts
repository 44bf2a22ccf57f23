import { describe, expect, it } from 'vitest';
import { boxTestSet } from '../../../src/pdes/boxTestSet.ts';
import { gkdv1d, kdv2d } from '../../../src/pdes/highOrder.ts';

describe('box test sets', () => {
  it('a tensor grid of cell centres with u* at each point', () => {
    const set = boxTestSet(gkdv1d, 100);
    expect(set.perAxis).toBe(10);
    expect(set.exact).toHaveLength(100);
    // Point 23: x cell 2, t cell 3 of 10 over [−1, 1] × [0, 1].
    expect(set.points[46]).toBeCloseTo(-1 + 0.2 * 2.5, 6);
    expect(set.points[47]).toBeCloseTo(0.35, 6);
    expect(set.exact[23]).toBe(gkdv1d.exact.value(set.points.subarray(46, 48)));
  });

  it('the largest grid under the count, exact powers included', () => {
    expect(boxTestSet(kdv2d, 4096).perAxis).toBe(16);
    expect(boxTestSet(kdv2d, 4095).perAxis).toBe(15);
    expect(() => boxTestSet(kdv2d, 7)).toThrow(/at least 2\^3 points, got 7/);
  });
});
