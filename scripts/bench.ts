/**
 * `npm run bench [-- --quick] [filter ...]`: runs every bench file (packages/NAME/bench/NAME.bench.ts) in one process and
 * prints their tables (Markdown, ready for BENCHMARKS.md).
 */
import { globSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { printTable, type BenchContext } from '@verity/bench'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const filters = args.filter((a) => !a.startsWith('--'))
let files = globSync('packages/*/bench/*.bench.ts').sort()
if (filters.length > 0) files = files.filter((f) => filters.some((s) => f.includes(s)))
console.log(`# Verity benchmarks\n\nnode ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString()}${quick ? ', --quick' : ''}`)
for (const file of files) {
  const tmpDir = mkdtempSync(join(tmpdir(), 'verity-bench-'))
  const ctx: BenchContext = { quick, tmpDir, printTable, progress: (m) => process.stderr.write(`  … ${m}\n`) }
  console.log(`\n## ${file}`)
  try {
    const mod = (await import(pathToFileURL(resolve(file)).href)) as { default: (ctx: BenchContext) => Promise<void> }
    await mod.default(ctx)
  } finally {
    rmSync(tmpDir, { recursive: true, force: true })
  }
}
