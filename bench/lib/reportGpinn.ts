/** BENCHMARKS.md's gPINN subsection: plain and gPINN runs side by side (bench/gpinn.ts). */
import type { GpinnResults } from './gpinnTypes.ts';
import { fmt } from './reportSections.ts';

export function gpinnSection(results: GpinnResults): string[] {
  const rows = results.comparisons.flatMap((c) => {
    const o = c.options;
    const setup = `${c.label} (lr ${o.learningRate}, gain ${o.firstLayerGain})`;
    return [['plain', c.plain] as const, [`gPINN c = ${c.gpinnWeight}`, c.gpinn] as const].map(
      ([loss, r]) => [
        setup,
        loss,
        fmt(r.relativeL2),
        fmt(r.relativeL1),
        `${fmt(r.gradientTermBefore)} → ${fmt(r.gradientTermAfter)}`,
        `${r.seconds.toFixed(0)} s`,
      ],
    );
  });
  return [
    'Two-body Allen–Cahn on the ball, sparse STDE collapsed, Adam decayed linearly, radius-uniform ' +
      `sampler, seed 0: each setup trained twice for the same steps, with the plain loss mean r̂² ` +
      'and with the gPINN loss mean r̂² + c·mean (∂_j r̂)² (one sampled j per point, ∂_jΔu from ' +
      'the 7-jets v₂ = 2e_i, v₃ = 6e_j). Relative errors on 2000 test points; mean (∂_j r)² in ' +
      `float64 with exact ∂_jΔu at ${results.gradientTerm.points} points of seed ` +
      `${results.gradientTerm.seed}, at the initial → final weights. Time is the whole run on ` +
      `${results.adapter.summary}.`,
    '',
    '| setup | loss | rel. L2 | rel. L1 | mean (∂_j r)² | time |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
}
