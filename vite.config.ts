import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The dashboard is a static site: `npm run build` writes dist/ with relative asset paths, so it
// works from any static file server and any sub-path. bench.html is the benchmark page that
// times our engine against TensorFlow.js in the browser (bench/peer.ts drives it).
export default defineConfig({
  base: './',
  server: { host: 'localhost', port: 5173, strictPort: false },
  preview: { host: 'localhost', port: 4173 },
  build: {
    target: 'es2022',
    outDir: 'dist',
    // The bench page bundles TensorFlow.js (about 1.3 MB); the dashboard's chunks stay far below.
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        bench: resolve(import.meta.dirname, 'bench.html'),
      },
    },
  },
});
