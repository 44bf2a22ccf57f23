/**
 * The `tangentDraw` uniform field of a pass whose dense tangents are stored, or of a layer that
 * reads none (shaders/lib/denseTangents.wgsl DenseTangentDraw): every word zero.
 */
export const noTangentDraw = {
  seed: 0,
  stream: 0,
  range: 0,
  extraOrder: 0,
  extraIndex: 0,
  extraCoefficient: 0,
};
