/**
 * Runs every package's tests with Node's test runner: `node scripts/test.ts [path-substring ...]`.
 * Test files live beside their code as `*.test.ts`; slow suites are named `*.slow.test.ts` and run
 * too (CI runs everything), but can be skipped locally with VERITY_FAST=1.
 */
import { spawnSync } from 'node:child_process'
import { globSync } from 'node:fs'

const filters = process.argv.slice(2)
let files = globSync('packages/*/src/**/*.test.ts').sort()
if (filters.length > 0) files = files.filter((f) => filters.some((s) => f.includes(s)))
if (process.env.VERITY_FAST === '1') files = files.filter((f) => !f.endsWith('.slow.test.ts'))
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`)
  process.exit(1)
}
const concurrency = process.env.VERITY_TEST_CONCURRENCY ?? '3'
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit' })
process.exit(result.status ?? 1)
