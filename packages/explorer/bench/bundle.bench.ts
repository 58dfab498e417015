/**
 * Explorer first-load size: builds the app with Vite into a scratch directory, gzips each initial
 * chunk (what index.html loads) and prints sizes against the 300 kB budget; lazy chunks apart.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import type { BenchContext } from '@verity/bench'
import { measureBundle } from '../src/bundleSize.ts'

export default async function run(ctx: BenchContext): Promise<void> {
  const { build } = await import('vite')
  const outDir = join(ctx.tmpDir, 'explorer')
  ctx.progress('vite build')
  const t0 = performance.now()
  await build({ configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)), logLevel: 'silent', build: { outDir, emptyOutDir: true } })
  const buildMs = performance.now() - t0
  const r = measureBundle(outDir)
  const kb = (n: number) => (n / 1024).toFixed(1)
  ctx.printTable('Explorer bundle (gzip level 9)', ['asset', 'loaded', 'raw kB', 'gzip kB'], r.assets.map((a) => [a.file.replace(/-[\w-]{8}\./, '.'), a.initial ? 'first load' : 'lazy', kb(a.bytes), kb(a.gzipBytes)]))
  ctx.printTable('Explorer first load vs budget', ['measure', 'gzip kB', 'budget kB', 'verdict'], [
    ['first-load JS', kb(r.initialJsGzip), kb(r.budget), r.withinBudget ? 'within budget' : 'OVER BUDGET'],
    ['first-load CSS', kb(r.initialCssGzip), '-', '-'],
    ['lazy JS (all chunks)', kb(r.lazyJsGzip), '-', '-'],
    // Loaded only when needed: a ZKML result (Groth16 with noble + @verity/zk/verify), a TEE one (@verity/tee/browser), chain reads (viem), memory.
    ...(['zkCheck', 'teeCheck', 'chainCheck', 'Memory'] as const).map((name) => {
      const chunk = r.assets.find((a) => a.file.includes(`/${name}-`))
      return [`lazy ${name} chunk`, chunk ? kb(chunk.gzipBytes) : 'missing', '-', '-']
    }),
    ['vite build time (ms)', buildMs.toFixed(0), '-', '-'],
  ])
}
