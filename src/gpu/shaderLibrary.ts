/**
 * The shared WGSL parts of shaders/lib/, each under one stable name. WGSL has no #include: a
 * kernel is compiled from its library parts followed by its own file (composeShader.ts), and
 * kernelCache.ts keys pipelines by part names, so a name must always stand for the same code —
 * which is why every host takes its parts from here instead of naming them itself.
 */
import accurateMathCode from '../../shaders/lib/accurateMath.wgsl?raw';
import activationsCode from '../../shaders/lib/activations.wgsl?raw';
import ballPointsCode from '../../shaders/lib/ballPoints.wgsl?raw';
import ballSumsCode from '../../shaders/lib/ballSums.wgsl?raw';
import denseTangentsCode from '../../shaders/lib/denseTangents.wgsl?raw';
import finiteBitsCode from '../../shaders/lib/finiteBits.wgsl?raw';
import gridCode from '../../shaders/lib/grid.wgsl?raw';
import jetRowsCode from '../../shaders/lib/jetRows.wgsl?raw';
import layerInputCode from '../../shaders/lib/layerInput.wgsl?raw';
import nonlinearityCode from '../../shaders/lib/nonlinearity.wgsl?raw';
import optimizerStepsCode from '../../shaders/lib/optimizerSteps.wgsl?raw';
import pointBatchCode from '../../shaders/lib/pointBatch.wgsl?raw';
import productTilesCode from '../../shaders/lib/productTiles.wgsl?raw';
import randomCode from '../../shaders/lib/random.wgsl?raw';
import seriesCode from '../../shaders/lib/series.wgsl?raw';
import tangentSlotsCode from '../../shaders/lib/tangentSlots.wgsl?raw';
import twoBodySummandCode from '../../shaders/lib/twoBodySummand.wgsl?raw';
import twoPointCode from '../../shaders/lib/twoPoint.wgsl?raw';
import type { ShaderSource } from './kernel.ts';

const part = (file: string, code: string): ShaderSource => ({ name: `lib/${file}`, code });

/** One entry per file of shaders/lib/; each file's header says what it holds and needs. */
export const lib = {
  accurateMath: part('accurateMath.wgsl', accurateMathCode),
  activations: part('activations.wgsl', activationsCode),
  ballPoints: part('ballPoints.wgsl', ballPointsCode),
  ballSums: part('ballSums.wgsl', ballSumsCode),
  denseTangents: part('denseTangents.wgsl', denseTangentsCode),
  finiteBits: part('finiteBits.wgsl', finiteBitsCode),
  grid: part('grid.wgsl', gridCode),
  jetRows: part('jetRows.wgsl', jetRowsCode),
  layerInput: part('layerInput.wgsl', layerInputCode),
  nonlinearity: part('nonlinearity.wgsl', nonlinearityCode),
  optimizerSteps: part('optimizerSteps.wgsl', optimizerStepsCode),
  pointBatch: part('pointBatch.wgsl', pointBatchCode),
  productTiles: part('productTiles.wgsl', productTilesCode),
  random: part('random.wgsl', randomCode),
  series: part('series.wgsl', seriesCode),
  tangentSlots: part('tangentSlots.wgsl', tangentSlotsCode),
  twoBodySummand: part('twoBodySummand.wgsl', twoBodySummandCode),
  twoPoint: part('twoPoint.wgsl', twoPointCode),
} as const;
