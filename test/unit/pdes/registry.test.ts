import { describe, expect, it } from 'vitest';
import { findPde, inputWidth, PDES } from '../../../src/pdes/index.ts';

describe('PDE registry', () => {
  it('lists every problem of DESIGN.md §4 once', () => {
    const ids = PDES.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      'poisson-two-body',
      'poisson-three-body',
      'allen-cahn-two-body',
      'allen-cahn-three-body',
      'sine-gordon-two-body',
      'sine-gordon-three-body',
      'biharmonic-clamped-sin-cos',
      'diagonal-order-2',
      'diagonal-order-4',
      'diagonal-order-6',
      'diagonal-order-8',
      'semilinear-heat',
      'allen-cahn-parabolic',
      'sine-gordon-parabolic',
      'kdv-2d',
      'kp-2d',
      'gkdv-1d',
    ]);
  });

  it('gives each entry a consistent operator, boundary, dimension and metric', () => {
    for (const entry of PDES) {
      expect(entry.title.length).toBeGreaterThan(0);
      expect(entry.tex.length).toBeGreaterThan(0);
      expect(entry.defaultDimension).toBeGreaterThanOrEqual(entry.minDimension);
      switch (entry.domain) {
        case 'ball':
          expect(entry.boundary).toBe(entry.solution.boundary);
          expect(entry.operator).toBe(entry.solution.operator);
          expect(entry.testSetSize).toBe(20_000);
          expect(entry.metric).toBe('relative-l2-l1');
          expect(entry.samplers[0]).toBe('radius-uniform');
          expect(entry.coefficients(10, 1).length).toBe(entry.solution.coefficientCount(10));
          expect(inputWidth(entry, 10)).toBe(10);
          break;
        case 'spacetime':
          expect(entry.operator).toBe('laplacian');
          expect(entry.metric).toBe('point-relative-error');
          expect(entry.sampler).toEqual({ kind: 'brownian', horizon: 0.3, diffusion: 2 });
          expect(inputWidth(entry, 10)).toBe(11);
          break;
        case 'box':
          expect(entry.operator).toBe('mixed-partials');
          expect(entry.quantities.length).toBeGreaterThan(0);
          expect(inputWidth(entry, entry.defaultDimension)).toBe(entry.problem.variables.length);
          break;
      }
    }
  });

  it('pairs the clamped biharmonic solution with the squared factor', () => {
    const entry = findPde('biharmonic-clamped-sin-cos');
    expect(entry.boundary).toBe('ball2');
    expect(entry.operator).toBe('biharmonic');
    expect(findPde('allen-cahn-three-body').boundary).toBe('ball');
  });

  it('names the known ids when asked for an unknown one', () => {
    expect(() => findPde('heat')).toThrow(/unknown PDE 'heat'; known: poisson-two-body/);
  });
});
