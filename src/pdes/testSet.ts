/** The fixed test set of the ball problems (STDE's size). */
export const TEST_SET_SIZE = 20_000;

/**
 * How many test points to evaluate per batch: all of them, unless one buffer of f32 points of
 * `inputWidth` coordinates would exceed the device's storage-binding limit. At d = 10^6 and the default
 * 128 MiB limit that is 33 points per batch; at d = 1000, the whole set at once.
 */
export function evaluationBatchSize(
  inputWidth: number,
  maxStorageBufferBindingSize: number,
  testSetSize = TEST_SET_SIZE,
): number {
  const bytesPerPoint = 4 * inputWidth;
  const fit = Math.floor(maxStorageBufferBindingSize / bytesPerPoint);
  if (fit < 1) {
    throw new RangeError(
      `one point of ${inputWidth} f32 coordinates (${bytesPerPoint} bytes) exceeds the ` +
        `storage-binding limit of ${maxStorageBufferBindingSize} bytes`,
    );
  }
  return Math.min(testSetSize, fit);
}
