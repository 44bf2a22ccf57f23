/**
 * BENCHMARKS.md's memory per parameter by mode (bench/lib/reportMemory.ts): computed from the
 * plans at STDE's setup, said to be plans, and placed in § 1.
 */
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../bench/lib/report.ts';
import { parameterMemorySection, trafficTargetRow } from '../../../bench/lib/reportMemory.ts';
import { inputsOf } from '../../../bench/lib/reportFiles.ts';

describe('memory per parameter by mode in BENCHMARKS.md', () => {
  const section = parameterMemorySection();
  const rows = section.filter((line) => /^\| [a-zA-Z]/.test(line)).slice(1);

  it('has a row per mode with and without the rollback copy, its B/param from the plan', () => {
    expect(section[0]).toBe('### Memory per parameter by mode');
    expect(section[2]).toMatch(/^Planned, not measured/);
    expect(rows).toHaveLength(10);
    const cells = (row: string) => row.split('|').map((c) => c.trim());
    // θ, g, m, v and the rollback copy of θ, m, v; 4 floats without it (parameterMemory.test.ts).
    expect(cells(rows[0]).slice(1, 4)).toEqual(['backprop + Adam', 'kept', '28.0']);
    expect(cells(rows[1]).slice(1, 4)).toEqual(['backprop + Adam', 'dropped', '16.0']);
    expect(cells(rows[2]).slice(1, 4)).toEqual(['backprop + SGD', 'kept', '12.0']);
    // At d = 10M θ alone, one buffer of 5.1 GB, is past SwiftShader's 1 GiB binding.
    for (const row of rows) expect(cells(row)[5]).toMatch(/does not fit$/);
    expect(section.join('\n')).toContain('What refuses backprop + Adam');
  });

  it('goes into § 1 when the report is built with it', () => {
    const { markdown } = buildReport(inputsOf([]), [], section);
    const at = markdown.indexOf('### Memory per parameter by mode');
    expect(at).toBeGreaterThan(markdown.indexOf('## 1. Scaling in d'));
    expect(at).toBeLessThan(markdown.indexOf('## 2. High-order operators'));
    expect(buildReport(inputsOf([])).markdown).not.toContain('Memory per parameter');
  });
});

describe('the bytes-moved target', () => {
  it('counts 32 B per parameter without the rollback copy and 48 with it', () => {
    // Without: g written (4); θ, g, m, v read (16); θ, m, v written (12). With: the guard reads g
    // (4) and the update also writes the copy of θ, m, v (12).
    const [target, measured, status] = trafficTargetRow();
    expect(target).toMatch(/rollback copy off: ≤ 32$/);
    expect(measured).toMatch(/^32 \(g written 4, guard 0, update 16 read \+ 12 written;/);
    expect(measured).toContain(
      '48 with the copy (g written 4, guard 4, update 16 read + 24 written)',
    );
    expect(status).toBe('**met**');
  });
});
