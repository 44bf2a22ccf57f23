/** The fixed test set of the ball problems (STDE's size). */
export const TEST_SET_SIZE = 20_000;

/**
 * Bytes of test points one evaluation batch holds at most. Without a cap of its own the batch
 * filled the storage-binding limit, so the larger an adapter's binding the more memory the test set
 * took from the training run: a whole 4 GiB binding at d = 10^6 (1 073 points), which gave such an
 * adapter a smaller largest d than a 1 GiB one. 256 MiB keeps a batch at hundreds of points
 * at d = 10^5 (671), enough to fill a GPU, and the whole 20 000-point set at once to d = 3355.
 */
export const EVALUATION_BATCH_BYTES = 256 * 2 ** 20;

/**
 * How many test points to evaluate per batch: all of them, unless one buffer of f32 points of
 * `inputWidth` coordinates would exceed the device's storage-binding limit or `batchBytes`. At
 * d = 10^6 and the default 128 MiB limit that is 33 points per batch; at d = 1000, the whole set
 * at once.
 */
export function evaluationBatchSize(
  inputWidth: number,
  maxStorageBufferBindingSize: number,
  testSetSize = TEST_SET_SIZE,
  batchBytes = EVALUATION_BATCH_BYTES,
): number {
  const bytesPerPoint = 4 * inputWidth;
  if (bytesPerPoint > maxStorageBufferBindingSize) {
    throw new RangeError(
      `one point of ${inputWidth} f32 coordinates (${bytesPerPoint} bytes) exceeds the ` +
        `storage-binding limit of ${maxStorageBufferBindingSize} bytes`,
    );
  }
  const fit = Math.max(
    1,
    Math.floor(Math.min(maxStorageBufferBindingSize, batchBytes) / bytesPerPoint),
  );
  return Math.min(testSetSize, fit);
}
