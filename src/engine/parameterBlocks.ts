/**
 * How the flat parameter vector (jetLayout.parameterLayout) and every tensor of its layout (the
 * gradient, the optimizer's state, an SPSA trial point) are held in GPU buffers. A buffer binding
 * holds at most maxStorageBufferBindingSize bytes (1 GiB on SwiftShader, 128 MiB by default), and
 * at d = 10⁷, width 128, the first layer's weight alone is 5.1 GB; so a vector that does not fit
 * one buffer is cut into blocks, each a contiguous range of the flat layout in a buffer of its own:
 * block k < S − 1 holds rows k·r … (k + 1)·r − 1 of the first layer's weight W₁ (row-major
 * [h₁][d], so a row is one output unit's d weights), the last block holds the remaining rows of W₁
 * and every later parameter (b₁ and the hidden layers, small next to W₁). A kernel over the whole
 * vector runs once per block; the first layer's product runs once per block over that block's
 * output units. A vector that fits is one block: the layout and the dispatches of every run that
 * fit before.
 */
import { type PlannedBuffer, storageBuffer } from '../gpu/bufferPlan.ts';
import type { GpuMemory } from '../gpu/gpuMemory.ts';
import { readFloat32 } from '../gpu/gpuMemory.ts';
import { parameterLayout } from './jetLayout.ts';

/** A contiguous range of the flat parameter vector held by one buffer. */
export interface ParameterBlock {
  /** Flat index of its first element. */
  start: number;
  /** Elements it holds. */
  count: number;
}

export interface ParameterBlocks {
  /** Every parameter, the sum of the blocks' counts. */
  count: number;
  /** In flat order; one when the vector fits a block. */
  blocks: ParameterBlock[];
}

/** A block size the plan cannot use, with the numbers. */
export class ParameterBlockError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ParameterBlockError';
  }
}

/**
 * The blocks of `widths`' parameters in buffers of at most `blockBytes` bytes (the device's
 * binding and buffer limits, or a smaller engine setting). As few blocks as fit, all but the last
 * full: the last takes the rows left over and the rest of the vector. Throws ParameterBlockError
 * when one row of W₁, or everything after W₁, does not fit a block.
 */
export function planParameterBlocks(
  widths: readonly number[],
  blockBytes: number,
): ParameterBlocks {
  const layout = parameterLayout(widths);
  const { count } = layout;
  if (!Number.isSafeInteger(blockBytes) || blockBytes < 4) {
    throw new ParameterBlockError(
      `a parameter block must hold at least one float (4 bytes), got ${blockBytes} bytes`,
    );
  }
  const first = layout.layers[0];
  if (count * 4 <= blockBytes) {
    return singleBlock(count);
  }
  const rowElements = first.inputs;
  const rows = first.outputs;
  const rest = count - rows * rowElements;
  const perBlock = Math.floor(blockBytes / (4 * rowElements));
  if (perBlock < 1) {
    throw new ParameterBlockError(
      `one row of the first layer's weight (d = ${rowElements} inputs, ${4 * rowElements} bytes) ` +
        `does not fit a parameter block of ${blockBytes} bytes`,
    );
  }
  if (rest * 4 > blockBytes) {
    throw new ParameterBlockError(
      `the parameters after the first layer's weight (${rest} floats, ${4 * rest} bytes) do not ` +
        `fit a parameter block of ${blockBytes} bytes; only the first layer's weight is split`,
    );
  }
  const lastRowsAtMost = Math.min(rows, Math.floor((blockBytes - 4 * rest) / (4 * rowElements)));
  // Blocks of W₁ rows alone until at most lastRowsAtMost rows are left; the last of them may be
  // short rather than run past W₁.
  const rowBlocks = Math.ceil((rows - lastRowsAtMost) / perBlock);
  const taken = Math.min(rows, rowBlocks * perBlock);
  const blocks: ParameterBlock[] = [];
  for (let k = 0; k < rowBlocks; k++) {
    const firstRow = k * perBlock;
    const end = Math.min(firstRow + perBlock, taken);
    blocks.push({ start: firstRow * rowElements, count: (end - firstRow) * rowElements });
  }
  const start = taken * rowElements;
  blocks.push({ start, count: count - start });
  return { count, blocks };
}

/** All `count` parameters in one block. */
export function singleBlock(count: number): ParameterBlocks {
  return { count, blocks: [{ start: 0, count }] };
}

/**
 * The rows of W₁ (output units of the first layer) that block `block` holds, for a network whose
 * first layer has `inputs` inputs and `outputs` outputs: the first layer's product over this block
 * covers output units firstRow … firstRow + rows − 1.
 */
export function firstLayerRows(
  block: ParameterBlock,
  inputs: number,
  outputs: number,
): { firstRow: number; rows: number } {
  const firstRow = Math.min(outputs, Math.ceil(block.start / inputs));
  const end = Math.min(outputs, Math.floor((block.start + block.count) / inputs));
  return { firstRow, rows: Math.max(0, end - firstRow) };
}

/** Whether two plans cut the vector at the same places. */
export function sameBlocks(a: ParameterBlocks, b: ParameterBlocks): boolean {
  return (
    a.count === b.count &&
    a.blocks.length === b.blocks.length &&
    a.blocks.every(
      (block, k) => block.start === b.blocks[k].start && block.count === b.blocks[k].count,
    )
  );
}

/**
 * `parameters` as blocks: a count is one block of every element. Throws RangeError unless the
 * blocks are non-empty, contiguous from 0 in flat order and add up to the plan's count.
 */
export function parameterBlocksOf(
  what: string,
  parameters: number | ParameterBlocks,
): ParameterBlocks {
  if (typeof parameters === 'number') return singleBlock(parameters);
  const { blocks, count } = parameters;
  let start = 0;
  for (const [k, block] of blocks.entries()) {
    if (block.start !== start || !Number.isInteger(block.count) || block.count < 1) {
      throw new RangeError(
        `${what}: block ${k} holds ${block.count} elements from ${block.start}; the blocks must ` +
          `be non-empty and contiguous from 0 (block ${k} starting at ${start})`,
      );
    }
    start += block.count;
  }
  if (blocks.length < 1 || start !== count) {
    throw new RangeError(
      `${what}: ${blocks.length} blocks hold ${start} elements of a vector of ${count}`,
    );
  }
  return parameters;
}

/**
 * Throws RangeError unless `tensor` is split into `blocks`' blocks (the same starts and counts)
 * and each of its buffers holds its block's elements.
 */
export function validateTensor(what: string, tensor: BlockedTensor, blocks: ParameterBlocks): void {
  const expected = blocks.blocks;
  const got = tensor.blocks.blocks;
  if (!sameBlocks(tensor.blocks, blocks) || tensor.buffers.length !== expected.length) {
    const describe = (list: readonly { start: number; count: number }[]) =>
      list.map((b) => `${b.start}+${b.count}`).join(', ');
    throw new RangeError(
      `${what} is split into blocks [${describe(got)}] in ${tensor.buffers.length} buffers, ` +
        `expected [${describe(expected)}]`,
    );
  }
  expected.forEach((block, k) => {
    const buffer = tensor.buffers[k];
    if (buffer.size < 4 * block.count) {
      throw new RangeError(
        `${what} (block ${k}) holds ${buffer.size} bytes, fewer than ${block.count} floats`,
      );
    }
  });
}

/** The label of block k of a tensor: `label` alone when it is one block. */
function blockLabel(label: string, k: number, plan: ParameterBlocks): string {
  return plan.blocks.length > 1 ? `${label} (block ${k})` : label;
}

/** The buffers createBlockedTensor allocates for `plan`, as plans list them. */
export function plannedBlockBuffers(label: string, plan: ParameterBlocks): PlannedBuffer[] {
  return plan.blocks.map((block, k) => storageBuffer(blockLabel(label, k, plan), 4 * block.count));
}

/** A tensor of the parameter layout in GPU memory: one buffer per block, in block order. */
export interface BlockedTensor {
  readonly blocks: ParameterBlocks;
  readonly buffers: readonly GPUBuffer[];
}

/** Allocates a tensor of `plan`'s blocks (zero-filled, or holding `values` in flat order). */
export function createBlockedTensor(
  memory: GpuMemory,
  label: string,
  plan: ParameterBlocks,
  values?: Float32Array,
): BlockedTensor {
  if (values && values.length !== plan.count) {
    throw new RangeError(`${label}: ${values.length} values for ${plan.count} parameters`);
  }
  const buffers = plan.blocks.map((block, k) => {
    const buffer = memory.create(blockLabel(label, k, plan), block.count * 4);
    if (values) memory.write(buffer, values.subarray(block.start, block.start + block.count));
    return buffer;
  });
  return { blocks: plan, buffers };
}

/** Queues `values` (flat order) into the tensor's blocks. */
export function writeBlockedTensor(
  memory: GpuMemory,
  tensor: BlockedTensor,
  values: Float32Array,
): void {
  if (values.length !== tensor.blocks.count) {
    throw new RangeError(`${values.length} values for ${tensor.blocks.count} parameters`);
  }
  tensor.blocks.blocks.forEach((block, k) =>
    memory.write(tensor.buffers[k], values.subarray(block.start, block.start + block.count)),
  );
}

/** Reads the whole tensor back in flat order (one round trip per block). */
export async function readBlockedTensor(
  device: GPUDevice,
  tensor: BlockedTensor,
): Promise<Float32Array> {
  const values = new Float32Array(tensor.blocks.count);
  for (const [k, block] of tensor.blocks.blocks.entries()) {
    values.set(await readFloat32(device, tensor.buffers[k], block.count), block.start);
  }
  return values;
}

/** A one-block tensor around an existing flat buffer (every run that fits one binding). */
export function wholeTensor(buffer: GPUBuffer, count: number): BlockedTensor {
  if (buffer.size < count * 4) {
    throw new RangeError(`${buffer.label}: ${buffer.size} bytes hold fewer than ${count} floats`);
  }
  return { blocks: singleBlock(count), buffers: [buffer] };
}

/** The tensor's only buffer; a mode that cannot take split parameters says so. */
export function soleBuffer(tensor: BlockedTensor, what: string): GPUBuffer {
  if (tensor.buffers.length !== 1) {
    throw new ParameterBlockError(
      `${what} cannot take parameters split into ${tensor.buffers.length} blocks`,
    );
  }
  return tensor.buffers[0];
}

/** Frees every block. */
export function destroyBlockedTensor(memory: GpuMemory, tensor: BlockedTensor): void {
  for (const buffer of tensor.buffers) memory.destroy(buffer);
}
