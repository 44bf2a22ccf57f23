/**
 * `jetpinn jet`: a model's output derivatives J_1..J_K at given points along given input
 * tangents, as JSON, from the GPU engine (float32, the kernels that train) or with --cpu from the
 * float64 reference. This is the hook for checking the engine against other AD systems.
 */
import { GpuJetEngine } from '../engine/gpuJetEngine.ts';
import type { AnyTangentInput, JetBatch } from '../engine/jetEngine.ts';
import type { ModelFile } from '../engine/modelFile.ts';
import { parseModelBytes } from '../engine/modelFormats.ts';
import { ReferenceJetEngine } from '../engine/referenceEngine.ts';
import type { MlpArchitecture } from '../jet/mlp.ts';
import { type FlagSpec, type ParsedFlags, UsageError } from './args.ts';
import type { Command } from './command.ts';
import { exitCodes } from './exitCodes.ts';
import { withNodeGpu } from './gpuSession.ts';
import { type CliIo, readBinaryFile, readTextFile } from './io.ts';
import {
  jetBatch,
  type JetRequest,
  type JetResult,
  jetResults,
  parseJetInputFile,
  readJetRequest,
  referenceJetBatch,
} from './jetRequest.ts';

const JET_FLAGS: readonly FlagSpec[] = [
  {
    name: 'model',
    kind: 'string',
    placeholder: 'file',
    required: true,
    description: 'model file: JSON, or safetensors when the name ends in .safetensors',
  },
  {
    name: 'points',
    kind: 'string',
    placeholder: 'json',
    description: 'points as JSON, [[x_1, …, x_d], …]',
  },
  {
    name: 'tangents',
    kind: 'string',
    placeholder: 'json',
    description: 'input tangents v_1..v_K as JSON, [[v_1], …, [v_K]] or one such list per point',
  },
  {
    name: 'input',
    kind: 'string',
    placeholder: 'file',
    description: 'JSON file { "points": …, "tangents": … } instead of --points/--tangents',
  },
  {
    name: 'cpu',
    kind: 'boolean',
    default: false,
    negatable: false,
    description: 'use the float64 CPU reference engine instead of the GPU',
  },
];

function parseJsonFlag(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--${flag} is not valid JSON (${(error as Error).message})`);
  }
}

function readRequest(flags: ParsedFlags, dim: number): JetRequest {
  const input = flags.string('input');
  const points = flags.string('points');
  const tangents = flags.string('tangents');
  if (input !== undefined) {
    if (points !== undefined || tangents !== undefined) {
      throw new UsageError('give either --input or --points and --tangents, not both');
    }
    return parseJetInputFile(readTextFile(input, '--input'), dim, input);
  }
  if (points === undefined || tangents === undefined) {
    throw new UsageError('give --points and --tangents (or --input <file>)');
  }
  return readJetRequest(parseJsonFlag('points', points), parseJsonFlag('tangents', tangents), dim, {
    points: '--points',
    tangents: '--tangents',
  });
}

async function forward<Tangents extends AnyTangentInput>(
  engine: {
    readonly architecture: MlpArchitecture;
    forward(batch: JetBatch<Tangents>): Promise<Float64Array>;
  },
  batch: JetBatch<Tangents>,
): Promise<JetResult[]> {
  const output = await engine.forward(batch);
  const widths = engine.architecture.widths;
  return jetResults(batch, output, widths[widths.length - 1]);
}

/** The float64 reference, given the tangents in float64 (only the points are float32). */
function onCpu(model: ModelFile, request: JetRequest): Promise<JetResult[]> {
  const engine = new ReferenceJetEngine(model.architecture, model.parameters);
  return forward(engine, referenceJetBatch(request)).finally(() => engine.dispose());
}

function onGpu(model: ModelFile, request: JetRequest, io: CliIo): Promise<JetResult[]> {
  return withNodeGpu(io, async (session) => {
    const engine = await GpuJetEngine.create(
      session.gpu.device,
      model.architecture,
      model.parameters,
    );
    try {
      const result = await forward(engine, jetBatch(request));
      session.assertHealthy();
      return result;
    } finally {
      engine.dispose();
    }
  });
}

export const jetCommand: Command = {
  name: 'jet',
  summary: "a model's output derivatives J_1..J_K along input tangents, as JSON",
  description:
    'Pushes the jet g(t) = x + Σ_k v_k t^k/k! through the network (v_k: the k-th derivative of the\n' +
    'input curve) and prints J_k = d^k/dt^k u(g(t)) at t = 0 for k = 1..K (K ≤ 8), with u(x), as\n' +
    'JSON: { engine, order, jets: [{ point, value: [u per output], derivatives: [[J_1..J_K] per\n' +
    'output] }] }. Points are rounded to float32 (`point` shows the point evaluated); --cpu takes\n' +
    'the tangents in float64, the GPU in float32.',
  flags: JET_FLAGS,
  run: async (flags, io) => {
    const path = flags.requiredString('model');
    const model = parseModelBytes(path, readBinaryFile(path, '--model'));
    const request = readRequest(flags, model.architecture.widths[0]);
    const cpu = flags.boolean('cpu');
    const jets = cpu ? await onCpu(model, request) : await onGpu(model, request, io);
    const engineName = cpu ? 'cpu-float64' : 'gpu-float32';
    io.stdout(`${JSON.stringify({ engine: engineName, order: request.order, jets })}\n`);
    return exitCodes.ok;
  },
};
