/**
 * The backward jet's grids folded at a small maxComputeWorkgroupsPerDimension are the same pass
 * as unfolded: jetBackwardWeights.wgsl puts its (column tile, split) items on y and z, which the
 * first layer needs from d ≈ 4.19M on (⌈(d + 1)/64⌉ column tiles past 65 535 per dimension), and
 * the per-element kernels fold into y. Here the plan is given 4 workgroups per dimension
 * (BackwardJet.create's `limits`), so a d of a few hundred folds the first layer's items into
 * several rows of y with surplus workgroups in the last, which must return without storing (a
 * surplus split would write past the split slices, or with one split over the next layer's
 * gradient). Every element sums the same terms in the same order, so the gradient is the same
 * bits: checked one-hot and dense, with the reduction whole and split into chunks, in one buffer
 * and over parameter blocks (src/engine/parameterBlocks.ts).
 */
import { describe, expect, it } from 'vitest';
import { planBackwardJet } from '../../src/engine/backwardJet.ts';
import type { TangentKind } from '../../src/engine/forwardJet.ts';
import type { JetShape } from '../../src/engine/jetLayout.ts';
import { planParameterBlocks } from '../../src/engine/parameterBlocks.ts';
import type { GridLimits } from '../../src/gpu/dispatch.ts';
import { backwardGradientBits, ballNetwork } from '../shared/blockedJetRuns.ts';
import { useNodeGpu } from '../shared/nodeGpuFixture.ts';

const gpu = useNodeGpu();

/** Every grid dimension of the folded plans: at most 4 workgroups. */
const folded: GridLimits = { maxComputeWorkgroupsPerDimension: 4 };

interface Case {
  name: string;
  widths: number[];
  shape: JetShape;
  kind: TangentKind;
  splitRows?: number;
  /** Bytes of a parameter block (planParameterBlocks); absent: one buffer. */
  blockBytes?: number;
}

const collapsed = (points: number): JetShape => ({
  points,
  directions: 3,
  order: 2,
  structure: 'collapsed',
});

/**
 * d = 300, 80 units: 5 column tiles of the first layer (2 rows of 4 along y, 3 surplus) and 2
 * row tiles on x, no split (12 points). d = 150, 4 units: 3 column tiles times the splits of
 * 16-row (one-hot, 2 splits) or 48-row (dense, 3 splits) chunks, and the later layers' splits
 * folded too. Sizes chosen so that every other dispatch fits 4 × 4 workgroups.
 */
const cases: Case[] = [
  ...(['oneHot', 'dense'] as const).flatMap((kind) => [
    { name: `d = 300, ${kind}, whole`, widths: [300, 80, 24, 1], shape: collapsed(12), kind },
    {
      name: `d = 300, ${kind}, whole, blocks of 13 rows`,
      widths: [300, 80, 24, 1],
      shape: collapsed(12),
      kind,
      blockBytes: 13 * 300 * 4,
    },
    {
      name: `d = 150, ${kind}, split`,
      widths: [150, 4, 8, 1],
      shape: collapsed(20),
      kind,
      splitRows: kind === 'oneHot' ? 16 : 48,
    },
    {
      name: `d = 150, ${kind}, split, blocks of one row`,
      widths: [150, 4, 8, 1],
      shape: collapsed(20),
      kind,
      splitRows: kind === 'oneHot' ? 16 : 48,
      blockBytes: 150 * 4,
    },
  ]),
];

/** Forward, then backward planned on `limits` (the device's when absent): the gradient's bits. */
function gradientBits(c: Case, limits?: GridLimits): Promise<Uint32Array> {
  const blocks =
    c.blockBytes === undefined ? undefined : planParameterBlocks(c.widths, c.blockBytes);
  return backwardGradientBits(gpu, c, blocks, limits);
}

describe('backward jet on folded grids', () => {
  for (const c of cases) {
    it(`${c.name}: the unfolded pass's bits`, async () => {
      const config = {
        architecture: ballNetwork(c.widths),
        shape: c.shape,
        tangentKind: c.kind,
        splitRows: c.splitRows,
        parameterBlocks:
          c.blockBytes === undefined ? undefined : planParameterBlocks(c.widths, c.blockBytes),
      };
      const plan = planBackwardJet(config, folded);
      const first = plan.steps.filter((s) => s.kind === 'weightGradient' && s.layer === 0);
      // The first layer's weights do fold: more than one row of y, surplus in the last.
      expect(first.some((s) => s.grid[2] > 1)).toBe(true);
      expect(
        first.some((s) => {
          const { columnTiles, splits } = s.params.values as Record<string, number>;
          return s.grid[1] * s.grid[2] > columnTiles * splits;
        }),
      ).toBe(true);
      expect(plan.steps.every((s) => s.grid.every((n) => n <= 4))).toBe(true);
      const bits = await gradientBits(c, folded);
      const whole = await gradientBits(c);
      const floats = new Float32Array(whole.buffer);
      expect(floats.every(Number.isFinite)).toBe(true);
      expect(floats.some((g) => g !== 0)).toBe(true);
      const first1 = whole.findIndex((w, i) => w !== bits[i]);
      expect(first1, `first differing element ${first1}`).toBe(-1);
      expect(bits.length).toBe(whole.length);
    });
  }
});
