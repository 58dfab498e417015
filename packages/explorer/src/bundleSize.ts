/**
 * Measures what a first visit downloads: the scripts, module preloads and styles index.html names,
 * gzipped one by one, against the first-load budget. Lazy chunks (loaded by dynamic import) are
 * listed apart. Node-only (the bench and the browser test use it; the app never imports it).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

/** First-load JavaScript budget, gzipped bytes. */
export const FIRST_LOAD_JS_BUDGET = 300 * 1024

export type AssetSize = { file: string; bytes: number; gzipBytes: number; initial: boolean }
export type BundleReport = { assets: AssetSize[]; initialJsGzip: number; initialCssGzip: number; lazyJsGzip: number; budget: number; withinBudget: boolean }

export function measureBundle(distDir: string): BundleReport {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8')
  const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]!))
  const assets = readdirSync(join(distDir, 'assets')).filter((f) => /\.(js|css)$/.test(f)).sort().map((name) => {
    const file = `assets/${name}`
    const bytes = readFileSync(join(distDir, file))
    return { file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length, initial: initial.has(file) }
  })
  const sum = (f: (a: AssetSize) => boolean) => assets.filter(f).reduce((n, a) => n + a.gzipBytes, 0)
  const initialJsGzip = sum((a) => a.initial && a.file.endsWith('.js'))
  return {
    assets, initialJsGzip, initialCssGzip: sum((a) => a.initial && a.file.endsWith('.css')), lazyJsGzip: sum((a) => !a.initial && a.file.endsWith('.js')),
    budget: FIRST_LOAD_JS_BUDGET, withinBudget: initialJsGzip <= FIRST_LOAD_JS_BUDGET,
  }
}
