// lib/pointBatch.wgsl: the uniform that describes a batch of points in a storage buffer, for the
// kernels that give every point one workgroup (pdeTerminal.wgsl; the host side is
// src/pdes/pointGrid.ts; pdeExact.wgsl's Params starts with the same three fields and adds its
// coordinate blocks). A library: a struct type only, no bindings; composed in front of a
// kernel file with src/gpu/composeShader.ts.
//
// Point p's coordinate x_j is points[p·stride + j], j < dim. The stride may exceed dim: the
// (x, t) points of the parabolic problems carry their time after the d space coordinates, and a
// kernel of x alone reads them with stride d + 1.

struct PointBatch {
  count: u32, // points
  dim: u32, // coordinates read per point
  stride: u32, // floats from one point to the next (≥ dim)
}
