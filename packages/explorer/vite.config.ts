// Vite builds the explorer into dist/, which the node serves at `/`. No plugins: Vite's own transform
// handles TSX with the automatic JSX runtime, and every asset is bundled (no CDN, nothing external).
import { defineConfig } from 'vite'

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8420', '/openapi.json': 'http://127.0.0.1:8420' } },
})
