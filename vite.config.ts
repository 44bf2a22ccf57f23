import { defineConfig } from 'vite';

// The dashboard is a static site: `npm run build` writes dist/ with relative asset paths, so it
// works from any static file server and any sub-path.
export default defineConfig({
  base: './',
  server: { host: 'localhost', port: 5173, strictPort: false },
  preview: { host: 'localhost', port: 4173 },
  build: { target: 'es2022', outDir: 'dist' },
});
