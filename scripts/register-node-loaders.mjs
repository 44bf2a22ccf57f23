// Lets Node scripts (CLI, benchmarks) import WGSL files exactly as Vite does:
//   import code from '../shaders/x.wgsl?raw';
// Usage: node --import tsx --import ./scripts/register-node-loaders.mjs script.ts
// Registered after tsx, so its hooks run first and tsx never sees the `?raw` query.
import { register } from 'node:module';

register('./raw-import-hooks.mjs', import.meta.url);
