import { ReferenceJetEngine } from '../../src/engine/referenceEngine.ts';
import { initParameters } from '../../src/jet/mlp.ts';
import { describeJetEngineContract } from '../shared/jetEngineContract.ts';

describeJetEngineContract(
  'float64 reference',
  (arch, seed) => Promise.resolve(new ReferenceJetEngine(arch, initParameters(arch, seed))),
  { relTol: 1e-12, gradTol: 1e-7, fdStep: 1e-5 },
);
