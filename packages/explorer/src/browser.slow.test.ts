/**
 * End to end: a live local node (seeded with verity/tiny-mlp) serving a fresh build of the explorer,
 * driven by Debian's chromium through playwright-core. Screenshots go to test-results/explorer/.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import type { InferenceResult } from '@verity/protocol'
import { startNode, type RunningNode } from '@verity/node'
import { sampleModels } from '@verity/samples'
import { measureBundle } from './bundleSize.ts'

const chromiumPath = process.env.VERITY_CHROMIUM ?? '/usr/bin/chromium'
const haveChromium = existsSync(chromiumPath)
if (!haveChromium && process.env.CI === 'true') throw new Error(`chromium not found at ${chromiumPath}: CI needs it for the explorer tests (scripts/apt-packages.txt lists it; run bash scripts/setup.sh as root).`)
const skip = haveChromium ? false : `chromium not found at ${chromiumPath}; install it (apt-get install chromium) to run the explorer browser tests`
if (skip) console.log(`# explorer browser tests skipped: ${skip}`)

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const screenshots = fileURLToPath(new URL('../../../test-results/explorer/', import.meta.url))
let tmp: string
let node: RunningNode
let context: BrowserContext
let page: Page
const problems: string[] = []

before(async () => {
  if (skip) return
  tmp = mkdtempSync(join(tmpdir(), 'verity-explorer-e2e-'))
  mkdirSync(screenshots, { recursive: true })
  // Build the current sources, so the test never runs against a stale dist/.
  const { build } = await import('vite')
  await build({ configFile: join(packageDir, 'vite.config.ts'), logLevel: 'warn', build: { outDir: join(tmp, 'site'), emptyOutDir: true } })
  node = await startNode({ memory: true, memoryEmbedder: 'hashing',
    dataDir: join(tmp, 'data'), port: 0, seedSamples: true, samples: sampleModels.filter((s) => s.repo === 'verity/tiny-mlp'),
    workers: 1, logLevel: 'silent', explorerDir: join(tmp, 'site'),
  })
  const { chromium } = await import('playwright-core')
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: chromiumPath, headless: true, viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(20_000)
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(`console: ${m.text()}`) })
  // Nothing may be fetched from anywhere but the node.
  page.on('request', (r) => { if (!r.url().startsWith(node.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) problems.push(`external request: ${r.url()}`) })
})
after(async () => {
  await context?.close()
  await node?.close()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

const shot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true })

// axe-core checks labels, contrast, roles and names (WCAG 2 A/AA). page.evaluate runs it over the
// DevTools protocol, so the page's Content-Security-Policy stays as strict as in production.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
async function assertAccessible(name: string): Promise<void> {
  const { passes, violations } = await page.evaluate(async (source) => {
    if (!(window as unknown as { axe?: unknown }).axe) (0, eval)(source)
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ passes: unknown[]; violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    return { passes: result.passes.length, violations: result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`) }
  }, axeSource)
  assert.ok(passes > 10, `axe ran only ${passes} rules on the ${name} page`)
  assert.deepEqual(violations, [], `accessibility problems on the ${name} page`)
}

async function inferViaApi(): Promise<InferenceResult> {
  const res = await fetch(`${node.url}/v1/infer`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'verity/tiny-mlp@1.00', input: { input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } } }),
  })
  assert.equal(res.status, 200)
  return (await res.json()) as InferenceResult
}

test('the first load stays under the JavaScript budget, charts load lazily', { skip }, () => {
  const report = measureBundle(join(tmp, 'site'))
  assert.ok(report.withinBudget, `first-load JS is ${report.initialJsGzip} bytes gzipped; the budget is ${report.budget}`)
  assert.ok(report.assets.some((a) => !a.initial && /Stats/.test(a.file)), 'the charts page is a lazy chunk')
})

test('network page lists this node with its address, and unknown chain facts as dashes', { skip }, async () => {
  await page.goto(`${node.url}/`)
  const row = page.locator('tr[data-self="true"]')
  await row.waitFor()
  assert.match(await row.innerText(), /this node/)
  assert.match(await row.locator('code').first().getAttribute('title') ?? '', new RegExp(node.address, 'i'))
  assert.match(await page.locator('header .node-id').innerText(), /chain 31337/)
  await shot('network')
  await assertAccessible('network')
  // Keyboard: the first Tab lands on the skip link, which is visible when focused.
  await page.keyboard.press('Tab')
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content')
})

test('models: search, open the card, run the model from the generated form, see it verified', { skip }, async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models' }).click()
  await page.getByLabel(/Search models/).fill('tiny')
  await page.getByRole('button', { name: 'Search' }).click()
  await page.waitForURL(/\/models\?q=tiny/)
  await page.getByRole('link', { name: 'verity/tiny-mlp' }).waitFor()
  await shot('models')
  await assertAccessible('models')
  await page.getByRole('link', { name: 'verity/tiny-mlp' }).click()
  await page.getByRole('heading', { level: 1, name: 'verity/tiny-mlp' }).waitFor()
  // The markdown description renders inline code as <code>, not as backticks.
  assert.equal(await page.locator('.markdown code', { hasText: 'input' }).count() > 0, true)
  assert.match(await page.locator('code.cid').first().innerText(), /^bafkrei/)
  assert.match(await page.locator('.modes').innerText(), /VANILLA — served by this node/)

  // Empty data is refused in the page with a message naming the input.
  await page.getByRole('button', { name: 'Run and verify' }).click()
  assert.match(await page.locator('.field-error').innerText(), /Enter the data of input/)

  await page.getByLabel('batch').fill('2')
  await page.getByRole('button', { name: 'Fill example for input' }).click()
  assert.equal(JSON.parse(await page.getByLabel('Data for input (nested JSON arrays)').inputValue()).length, 2)
  await page.getByRole('button', { name: 'Run and verify' }).click()
  await page.locator('[data-verdict="verified"]').waitFor()
  const statuses = await page.locator('.run-result [data-check]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-check')}:${e.getAttribute('data-status')}`))
  assert.deepEqual(statuses, ['format:pass', 'model:pass', 'input-hash:pass', 'output-hash:pass', 'signature:pass', 'signer:pass', 'mode:pass'])
  assert.match(await page.locator('.run-result table.tensors').innerText(), /\[2, 3\]/)
  await shot('model-run')
  await assertAccessible('model-run')

  // The shareable receipt page re-runs every check on the node's stored copy.
  await page.getByRole('link', { name: /Open the receipt page/ }).click()
  await page.waitForURL(/\/receipts\/0x[0-9a-f]{64}$/)
  await page.locator('[data-verdict="verified"]').waitFor()
  assert.equal(await page.locator('[data-check="id"][data-status="pass"]').count(), 1)
  await shot('receipt')
  await assertAccessible('receipt')
  await page.reload()
  await page.locator('[data-verdict="verified"]').waitFor()
})

test('receipt page: a receipt altered in transit fails in the browser, naming the check', { skip }, async () => {
  const result = await inferViaApi()
  const res = await fetch(`${node.url}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: result.model, input: result.input }) })
  const { receipt } = (await res.json()) as InferenceResult
  const { receiptDigest } = await import('@verity/protocol')
  const id = receiptDigest(receipt)
  // The server's answer is not trusted: rewrite it on the way to the page and the page must notice.
  await page.route(`**/v1/receipts/${id}`, async (route) => {
    const response = await route.fetch()
    const body = (await response.json()) as { output: { output: { data: number[] } } }
    body.output.output.data[0] = 42
    await route.fulfill({ response, json: body })
  })
  await page.goto(`${node.url}/receipts/${id}`)
  await page.locator('[data-verdict="failed"]').waitFor()
  assert.equal(await page.locator('[data-check="output-hash"][data-status="fail"]').count(), 1)
  assert.match(await page.locator('.verdict').innerText(), /output recomputed failed/)
  await page.unroute(`**/v1/receipts/${id}`)
  await page.goto(`${node.url}/receipts/0x${'00'.repeat(32)}`)
  assert.match(await page.getByRole('alert').innerText(), /issued no receipt/)
})

test('verify page: a pasted tampered result names the failing check; a dropped genuine file verifies', { skip }, async () => {
  const result = await inferViaApi()
  await page.goto(`${node.url}/verify`)
  const tampered = structuredClone(result)
  const values = (tampered.output.output as { data: unknown[] }).data
  values[1] = Number(values[1]) + 1
  await page.getByLabel('Result JSON').fill(JSON.stringify(tampered, null, 2))
  await page.getByRole('button', { name: 'Verify' }).click()
  await page.locator('[data-verdict="failed"]').waitFor()
  const failing = page.locator('[data-status="fail"]')
  assert.equal(await failing.count(), 1)
  assert.match(await failing.innerText(), /Output recomputed[\s\S]*changed after signing/)
  await shot('verify-tampered')
  await assertAccessible('verify-tampered')
  await page.emulateMedia({ colorScheme: 'dark' })
  await shot('verify-tampered-dark')
  await assertAccessible('verify-tampered (dark)')
  await page.emulateMedia({ colorScheme: 'light' })

  const file = join(tmp, 'result.json')
  writeFileSync(file, JSON.stringify(result))
  await page.getByLabel('or choose a file').setInputFiles(file)
  await page.locator('[data-verdict="verified"]').waitFor()
  assert.match(await page.locator('main').innerText(), /The signer is the node serving this page/)

  await page.getByLabel('Result JSON').fill('{"not": "a result"')
  await page.getByRole('button', { name: 'Verify' }).click()
  await page.locator('[data-check="format"][data-status="fail"]').waitFor()
})

test('activity charts', { skip }, async () => {
  await page.goto(`${node.url}/stats`)
  await page.locator('figure.chart svg').first().waitFor()
  assert.equal(await page.locator('figure.chart').count(), 3)
  assert.ok(await page.locator('rect.bar').count() > 0)
  assert.match(await page.locator('figure.chart').nth(2).innerText(), /VANILLA \d+/)
  await shot('stats')
  await assertAccessible('stats')
  await page.goto(`${node.url}/no/such/page`)
  await page.getByRole('heading', { name: 'Page not found' }).waitFor()
  assert.deepEqual(problems, [])
})

test('memory page: a user key opens the memories with their sources, and the signed log verifies in the page', { skip }, async () => {
  const adminKey = readFileSync(node.adminKeyPath!, 'utf8').trim()
  const call = async (path: string, key: string, body?: unknown) => {
    const res = await fetch(`${node.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    assert.ok(res.ok, `${path}: HTTP ${res.status} ${await res.clone().text()}`)
    return res.json() as Promise<Record<string, unknown>>
  }
  const { key } = (await call('/v1/api-keys', adminKey, { user_id: 'alice', scopes: ['memories:read', 'memories:write'] })) as { key: string }
  await call('/v1/memories?wait=true', key, { messages: [
    { id: 'msg-lisbon', role: 'user', content: 'I moved to Lisbon last spring and I work as a marine biologist.' },
    { id: 'msg-cello', role: 'user', content: 'On weekends I play the cello in a small orchestra.' },
  ] })
  const exported = (await call('/v1/memories/export', key)) as { memories: Array<{ id: string; sources: string[] }>; log: unknown[] }
  assert.ok(exported.memories.length > 0 && exported.log.length >= exported.memories.length, 'the node extracted memories and logged them')

  await page.goto(`${node.url}/`)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Memory' }).click()
  // A wrong key is refused by the node, and the page says so.
  await page.getByLabel('API key').fill('vk_not_a_key')
  await page.getByRole('button', { name: 'Open and verify' }).click()
  await page.getByRole('alert').waitFor()
  assert.match(await page.getByRole('alert').innerText(), /HTTP 401/)

  await page.getByLabel('API key').fill(key)
  await page.getByRole('button', { name: 'Open and verify' }).click()
  await page.locator('[data-verdict="verified"]').waitFor()
  assert.equal(await page.locator('[data-memory-id][data-status="pass"]').count(), exported.memories.length)
  const main = await page.locator('main').innerText()
  assert.match(main, /Lisbon/)
  assert.match(main, /msg-lisbon/, 'the source message id is shown')
  assert.match(main, /marine biologist/)
  assert.equal(await page.locator('table.log tr[data-status="fail"]').count(), 0)
  assert.equal(await page.locator('table.log tr[data-status="pass"]').count(), exported.log.length)
  // The key is not kept anywhere but the page's memory.
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, ''])
  await shot('memory')
  await assertAccessible('memory')

  // The node's log is not trusted: alter one entry on its way to the page and the page names it.
  await page.route('**/v1/memories/log*', async (route) => {
    const response = await route.fetch()
    const body = (await response.json()) as { entries: Array<{ entry: { at: string } }> }
    body.entries[0]!.entry.at = '2020-01-01T00:00:00.000Z'
    await route.fulfill({ response, json: body })
  })
  await page.getByRole('button', { name: 'Forget the key' }).click()
  assert.equal(await page.getByLabel('API key').inputValue(), '', 'the key is forgotten')
  await page.getByLabel('API key').fill(key)
  await page.getByRole('button', { name: 'Open and verify' }).click()
  await page.locator('[data-verdict="failed"]').waitFor()
  assert.match(await page.locator('[data-check="log-chain"][data-status="fail"]').innerText(), /entry 0 hash mismatch: content was altered/)
  assert.match(await page.locator('table.log tr[data-seq="0"]').getAttribute('data-status') ?? '', /fail/)
  await shot('memory-tampered')
  await page.unroute('**/v1/memories/log*')
  assert.deepEqual(problems.filter((p) => !/status of 401/.test(p)), [])
})
