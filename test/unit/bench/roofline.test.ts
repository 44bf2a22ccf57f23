/** The roofline of bench/lib/roofline.ts: achieved rates and the predicted time's bound. */
import { describe, expect, it } from 'vitest';
import { achievedThroughput, predictedTime } from '../../../bench/lib/roofline.ts';

describe('roofline', () => {
  const cost = { flops: 1e12, bytesRead: 6e8, bytesWritten: 4e8 };

  it('takes the slower of the memory and compute roofs', () => {
    expect(predictedTime(cost, { bandwidthGBs: 1000, fp32TFlops: 10 })).toEqual({
      ms: 100,
      bound: 'compute',
    });
    expect(predictedTime(cost, { bandwidthGBs: 1, fp32TFlops: 10 })).toEqual({
      ms: 1000,
      bound: 'memory',
    });
  });

  it('turns a measured time into GB/s and GFLOP/s', () => {
    expect(achievedThroughput(cost, 1000)).toEqual({ gbPerS: 1, gflopPerS: 1000 });
  });
});
