/**
 * The peer: the same network, sampled Laplacian estimate and Adam step written the way a user of
 * TensorFlow.js would write SDGD, with nested first-order autodiff: tf.grad of u for ∇u, then one
 * more tf.grad per sampled direction e_i for ∂²u/∂x_i², (d/B)·Σ over the B directions; the
 * training step differentiates that again with respect to the weights (optimizer.minimize).
 *
 * tanh is written as sinh(z)/cosh(z): TensorFlow.js 4.22's tanh gradient is not twice
 * differentiable (its gradient reuses the saved output, which nested tf.grad does not trace back,
 * so tanh's curvature is dropped and the Laplacian comes out wrong). The form 1 − 2/(e^{2z} + 1)
 * has the same flaw through exp's gradient (measured: 0.6 % off the float64 finite-difference
 * Laplacian at d = 100, h = 128); sinh's and cosh's gradients are computed from the input, so
 * they nest. cosh overflows f32 for |z| ≳ 89; with the ±1/√fan_in initialization and points in
 * the unit ball the pre-activations stay far below that.
 */
import * as tf from '@tensorflow/tfjs';
import type { MlpParameters } from '../../src/jet/mlp.ts';

export interface PeerBatch {
  /** N·d points, row-major. */
  x: Float32Array;
  /** N·B sampled coordinates, point-major. */
  directions: Int32Array;
  points: number;
  dimension: number;
  jets: number;
}

function tanhViaSinhCosh(z: tf.Tensor2D): tf.Tensor2D {
  return tf.div(tf.sinh(z), tf.cosh(z));
}

export class PeerModel {
  private readonly weights: tf.Variable[] = [];
  private readonly biases: tf.Variable[] = [];
  private readonly optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  private readonly x: tf.Tensor2D;
  private readonly masks: tf.Tensor2D[];
  private readonly scale: number;

  constructor(
    params: MlpParameters<Float64Array>,
    widths: readonly number[],
    private readonly batch: PeerBatch,
  ) {
    params.layers.forEach((layer, l) => {
      const [inputs, outputs] = [widths[l], widths[l + 1]];
      // Our weights are row-major [out][in]; x·W needs [in][out].
      const w = tf.tidy(() =>
        tf.transpose(tf.tensor2d(Float32Array.from(layer.weight), [outputs, inputs])),
      );
      this.weights.push(tf.variable(w));
      w.dispose();
      this.biases.push(tf.variable(tf.tensor1d(Float32Array.from(layer.bias))));
    });
    const { points: N, dimension: d, jets: B } = batch;
    this.x = tf.tensor2d(batch.x, [N, d]);
    // One 0/1 mask per sampled direction b: row p has its 1 at column directions[p·B + b].
    this.masks = Array.from({ length: B }, (_, b) => {
      const columns = Int32Array.from({ length: N }, (_, p) => batch.directions[p * B + b]);
      return tf.tidy(() => tf.oneHot(tf.tensor1d(columns, 'int32'), d).toFloat() as tf.Tensor2D);
    });
    this.scale = d / B;
  }

  /** u = (1 − ‖x‖²)·MLP(x) at the rows of x: [N]. */
  private u(x: tf.Tensor2D): tf.Tensor1D {
    let a: tf.Tensor2D = x;
    const last = this.weights.length - 1;
    this.weights.forEach((w, l) => {
      const z = tf.add(tf.matMul(a, w as tf.Tensor2D), this.biases[l]) as tf.Tensor2D;
      a = l < last ? tanhViaSinhCosh(z) : z;
    });
    const factor = tf.sub(1, tf.sum(tf.square(x), 1));
    return tf.mul(factor, tf.reshape(a, [this.batch.points])) as tf.Tensor1D;
  }

  /** (d/B)·Σ_b ∂²u/∂x_{i_b}² per point, by nested tf.grad: [N]. */
  private laplacianEstimate(x: tf.Tensor2D): tf.Tensor1D {
    const gradU = tf.grad((y: tf.Tensor) => tf.sum(this.u(y as tf.Tensor2D)));
    let sum: tf.Tensor1D = tf.zeros([this.batch.points]);
    for (const mask of this.masks) {
      const second = tf.grad((y: tf.Tensor) => tf.sum(tf.mul(gradU(y), mask)))(x);
      sum = tf.add(sum, tf.sum(tf.mul(second, mask), 1));
    }
    return tf.mul(sum, this.scale);
  }

  /** u and the Laplacian estimate at the batch's points, for the check against our engine. */
  async evaluate(): Promise<{ u: Float32Array; estimate: Float32Array }> {
    const [u, estimate] = tf.tidy(() => [this.u(this.x), this.laplacianEstimate(this.x)]);
    const result = {
      u: (await u.data()) as Float32Array,
      estimate: (await estimate.data()) as Float32Array,
    };
    u.dispose();
    estimate.dispose();
    return result;
  }

  /** One Adam step on the Allen–Cahn residual Δ̂u + u − u³ (zero source): the loss's value. */
  async step(): Promise<number> {
    // minimize runs the loss inside the engine's own tidy and disposes the gradients.
    const cost = this.optimizer.minimize(
      () => {
        const u = this.u(this.x);
        const residual = tf.add(this.laplacianEstimate(this.x), tf.sub(u, tf.pow(u, 3)));
        return tf.mean(tf.square(residual)) as tf.Scalar;
      },
      true,
      [...this.weights, ...this.biases],
    );
    if (!cost) throw new Error('optimizer.minimize returned no cost');
    const value = (await cost.data())[0];
    cost.dispose();
    return value;
  }

  dispose(): void {
    for (const t of [...this.weights, ...this.biases, this.x, ...this.masks]) t.dispose();
    this.optimizer.dispose();
  }
}
