// Vite builds the explorer into dist/, which the node serves at `/`. No plugins: Vite's own transform
// handles TSX with the automatic JSX runtime, and every asset is bundled (no CDN, nothing external).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

export default defineConfig({
  root: import.meta.dirname,
  // @verity/zk/verify calls snarkjs.groth16.verify; in the page that is lib/groth16.ts (noble's pairing,
  // no WebAssembly or workers, so the strict CSP holds and the verifier chunk stays small).
  // poseidon-lite's index bundles all sixteen arities (CommonJS, not tree-shaken); the input hash needs only poseidon16.
  resolve: {
    alias: [
      { find: /^snarkjs$/, replacement: fileURLToPath(new URL('./src/lib/groth16.ts', import.meta.url)) },
      { find: /^poseidon-lite$/, replacement: 'poseidon-lite/poseidon16' },
    ],
  },
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
