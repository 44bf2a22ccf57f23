/**
 * The forward jet pass with one extra parameter-tangent channel (shaders/jetForwardTangent.wgsl):
 * for parameters θ and a direction v over them it produces the output jets u and their directional
 * derivatives u̇ = ∂u/∂θ·v, layer by layer, keeping only the current layer's jets. With the loss's
 * cotangent ∂L/∂u this gives ∇_θL·v without a backward pass: the forward gradient (DESIGN.md §6).
 * The hard boundary factor b is independent of θ, so u̇ = b·ṁ is jetBoundary.wgsl applied to ṁ.
 */
import accurateMathCode from '../../shaders/accurateMath.wgsl?raw';
import boundaryCode from '../../shaders/jetBoundary.wgsl?raw';
import tangentCode from '../../shaders/jetForwardTangent.wgsl?raw';
import type { GpuBuffers } from '../gpu/buffers.ts';
import { dispatchGrid } from '../gpu/dispatch.ts';
import type { ComputeKernel } from '../gpu/kernel.ts';
import { cachedKernel } from '../gpu/kernelCache.ts';
import type { Activation } from '../jet/activations.ts';
import { validateArchitecture } from '../jet/mlp.ts';
import {
  type ExternalJetInputs,
  type ForwardJetConfig,
  JetShapeError,
  MAX_JET_ORDER,
} from './forwardJet.ts';
import { layerElements, parameterLayout, rowsPerPoint } from './jetLayout.ts';

/** ACTIVATION and INPUT overrides of jetForwardTangent.wgsl (the same ids as jetForward.wgsl). */
const activationIds: Record<Activation, number> = { tanh: 1, sin: 2, softplus: 3, identity: 4 };
const LINEAR = 0;
const inputIds = { rows: 0, dense: 1, oneHot: 2 } as const;
const WORKGROUP_SIZE = 64;
const BOUNDARY_WORKGROUP = 64;

interface BoundStep {
  kernel: ComputeKernel;
  bindGroup: GPUBindGroup;
  grid: [number, number];
}

/** A dispatch and its buffers; layer steps get θ and v added by `bind`. */
interface StepPlan {
  kernel: ComputeKernel;
  resources: Record<string, GPUBuffer>;
  grid: [number, number];
  layer: boolean;
}

export class ForwardGradientJet {
  /** u jets, layerElements(shape, out). */
  readonly output: GPUBuffer;
  /** u̇ = ∂u/∂θ·v, same layout. */
  readonly outputTangent: GPUBuffer;

  private steps: BoundStep[] = [];
  private parameterBytes = 0;

  private constructor(
    private readonly memory: GpuBuffers,
    private readonly plans: StepPlan[],
    private readonly owned: GPUBuffer[],
    output: GPUBuffer,
    outputTangent: GPUBuffer,
  ) {
    this.output = output;
    this.outputTangent = outputTangent;
  }

  /**
   * (Re)binds every dispatch to `parameters` (θ) and `tangentParameters` (v, the same flat
   * layout), e.g. once the trainer's gradient buffer is known to carry v.
   */
  bind(parameters: GPUBuffer, tangentParameters: GPUBuffer): void {
    const needed = this.parameterBytes;
    for (const [name, buffer] of [
      ['parameters', parameters],
      ['tangentParameters', tangentParameters],
    ] as const) {
      if (buffer.size < needed) {
        throw new JetShapeError(
          `the ${name} buffer holds ${buffer.size} bytes, the network needs ${needed}`,
        );
      }
    }
    this.steps = this.plans.map((plan) => ({
      kernel: plan.kernel,
      grid: plan.grid,
      bindGroup: plan.kernel.bind(
        plan.layer ? { ...plan.resources, parameters, tangentParameters } : plan.resources,
      ),
    }));
  }

  /**
   * Binds the pass to `parameters` (θ) and `tangentParameters` (v, the same flat layout) and to
   * inputs written by other kernels (points and input tangents, as ForwardJet's ExternalJetInputs).
   */
  static async create(
    memory: GpuBuffers,
    config: ForwardJetConfig,
    parameters: GPUBuffer,
    tangentParameters: GPUBuffer,
    inputs: ExternalJetInputs,
  ): Promise<ForwardGradientJet> {
    const { architecture, shape, tangentKind } = config;
    validateArchitecture(architecture);
    if (!Number.isInteger(shape.order) || shape.order < 1 || shape.order > MAX_JET_ORDER) {
      throw new JetShapeError(
        `the jet order K must be an integer in 1..${MAX_JET_ORDER}, got ${shape.order}`,
      );
    }
    if (tangentKind === 'oneHot' && !inputs.tangentIndex) {
      throw new JetShapeError('one-hot inputs need a tangentIndex buffer');
    }
    const device = memory.device;
    const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
    const { widths } = architecture;
    const layout = parameterLayout(widths);
    const N = shape.points;
    const V = rowsPerPoint(shape);
    const K = shape.order;
    const collapsed = shape.structure === 'collapsed';
    const out = widths[widths.length - 1];
    const owned: GPUBuffer[] = [];
    const allocate = (label: string, elements: number): GPUBuffer => {
      const buffer = memory.create(`forward gradient ${label}`, elements * 4);
      owned.push(buffer);
      return buffer;
    };
    try {
      const hidden = widths.slice(1, -1);
      const widest = hidden.length > 0 ? layerElements(shape, Math.max(...hidden)) : 1;
      // Layer l reads the jets of layer l − 1 while writing its own: two buffers alternate.
      const jets = [allocate('s (even layers)', widest), allocate('s (odd layers)', widest)];
      const jetTangents = [allocate('ṡ (even layers)', widest), allocate('ṡ (odd layers)', widest)];
      const mlpOutput = allocate('mlp output', layerElements(shape, out));
      const mlpTangent = allocate('mlp output tangent', layerElements(shape, out));
      const placeholder = allocate('unused binding', 1);
      const last = layout.layers.length - 1;
      const plans: StepPlan[] = [];
      for (const [l, slice] of layout.layers.entries()) {
        const kernel = await cachedKernel(
          device,
          [
            { name: 'accurateMath.wgsl', code: accurateMathCode },
            { name: 'jetForwardTangent.wgsl', code: tangentCode },
          ],
          {
            constants: {
              K,
              COLLAPSED: collapsed ? 1 : 0,
              ACTIVATION: l < last ? activationIds[architecture.activation] : LINEAR,
              INPUT: inputIds[l === 0 ? tangentKind : 'rows'],
              WORKGROUP_SIZE,
            },
          },
        );
        const uniforms = memory.createFrom(
          `forward gradient layer ${l} params`,
          Uint32Array.of(
            N,
            shape.directions,
            V,
            slice.inputs,
            slice.outputs,
            slice.weightOffset,
            slice.biasOffset,
          ),
          'uniform',
        );
        owned.push(uniforms);
        const resources = {
          params: uniforms,
          inputJet: l === 0 ? inputs.x : jets[(l - 1) % 2],
          inputTangent: l === 0 ? placeholder : jetTangents[(l - 1) % 2],
          tangents: inputs.tangents,
          tangentIndex: inputs.tangentIndex ?? placeholder,
          outputJet: l === last ? mlpOutput : jets[l % 2],
          outputTangent: l === last ? mlpTangent : jetTangents[l % 2],
        };
        plans.push({
          kernel,
          resources,
          grid: dispatchGrid(kernel.workgroupsFor(N * slice.outputs), maxGroups),
          layer: true,
        });
      }
      let output = mlpOutput;
      let outputTangent = mlpTangent;
      if (architecture.boundary !== 'none') {
        const kernel = await cachedKernel(
          device,
          [{ name: 'jetBoundary.wgsl', code: boundaryCode }],
          {
            constants: {
              K,
              COLLAPSED: collapsed ? 1 : 0,
              ONE_HOT: tangentKind === 'oneHot' ? 1 : 0,
              SQUARED: architecture.boundary === 'ball2' ? 1 : 0,
              WORKGROUP_SIZE: BOUNDARY_WORKGROUP,
            },
          },
        );
        const uniforms = memory.createFrom(
          'forward gradient boundary params',
          Uint32Array.of(N, shape.directions, V, widths[0], out),
          'uniform',
        );
        owned.push(uniforms);
        const boundary = allocate('boundary', layerElements(shape, 1));
        output = allocate('output', layerElements(shape, out));
        outputTangent = allocate('output tangent', layerElements(shape, out));
        const grid = dispatchGrid(Math.ceil(N / BOUNDARY_WORKGROUP), maxGroups);
        // u = b·m is linear in m, so the same kernel maps ṁ to u̇ (b is rewritten identically).
        for (const [m, u] of [
          [mlpOutput, output],
          [mlpTangent, outputTangent],
        ]) {
          const resources = {
            params: uniforms,
            x: inputs.x,
            tangents: inputs.tangents,
            tangentIndex: inputs.tangentIndex ?? placeholder,
            mlpOutput: m,
            boundary,
            output: u,
          };
          plans.push({ kernel, resources, grid, layer: false });
        }
      }
      const jet = new ForwardGradientJet(memory, plans, owned, output, outputTangent);
      jet.parameterBytes = layout.count * 4;
      jet.bind(parameters, tangentParameters);
      return jet;
    } catch (error) {
      for (const buffer of owned) memory.destroy(buffer);
      throw error;
    }
  }

  /** Records the pass (every layer, then the boundary factor on u and on u̇). */
  encode(encoder: GPUCommandEncoder): void {
    const pass = encoder.beginComputePass({ label: 'forward jet with parameter tangent' });
    for (const step of this.steps) step.kernel.dispatch(pass, step.bindGroup, ...step.grid);
    pass.end();
  }

  destroy(): void {
    for (const buffer of this.owned) this.memory.destroy(buffer);
    this.owned.length = 0;
  }
}
