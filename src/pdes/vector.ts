/** ‖x‖², summed in index order. */
export function squaredNorm(x: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < x.length; j++) sum += x[j] * x[j];
  return sum;
}
