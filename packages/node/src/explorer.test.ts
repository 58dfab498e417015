import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NetworkResponse, StatsResponse } from '@verity/protocol'
import { sampleModels } from '@verity/samples'
import { isClientRoute, mergeNetwork, startNode, statsTotals, type RunningNode } from './index.ts'

const samples = sampleModels.filter((s) => s.repo === 'verity/tiny-mlp')
let dataDir: string
let siteDir: string
let node: RunningNode

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'verity-node-explorer-'))
  // A stand-in for packages/explorer/dist, so this test does not depend on a Vite build.
  siteDir = mkdtempSync(join(tmpdir(), 'verity-site-'))
  mkdirSync(join(siteDir, 'assets'))
  writeFileSync(join(siteDir, 'index.html'), '<!doctype html><title>explorer</title><div id="root"></div>')
  writeFileSync(join(siteDir, 'assets', 'app-abc123.js'), 'console.log(1)')
  node = await startNode({ dataDir, port: 0, seedSamples: true, samples, workers: 1, logLevel: 'silent', explorerDir: siteDir })
})
after(async () => {
  await node?.close()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(siteDir, { recursive: true, force: true })
})

const tinyInput = { input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } }

test('the explorer is served at / and for client routes, with a strict content security policy', async () => {
  for (const path of ['/', '/models/verity/tiny-mlp', `/receipts/0x${'ab'.repeat(32)}`, '/verify?x=1']) {
    const res = await fetch(`${node.url}${path}`)
    assert.equal(res.status, 200, path)
    assert.match(res.headers.get('content-type') ?? '', /text\/html/, path)
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/, path)
    assert.match(await res.text(), /<div id="root">/, path)
  }
  // Off a chain the page may talk to this node only; on one, also to the chain's RPC (explorer browser test).
  assert.match((await fetch(`${node.url}/`)).headers.get('content-security-policy') ?? '', /connect-src 'self';/)
  const chain = await fetch(`${node.url}/v1/explorer/chain`)
  assert.equal(chain.status, 404)
  assert.match(((await chain.json()) as { error: { message: string } }).error.message, /not on a chain/)
  const asset = await fetch(`${node.url}/assets/app-abc123.js`)
  assert.equal(asset.status, 200)
  assert.match(asset.headers.get('cache-control') ?? '', /immutable/)
})

test('unknown API paths and missing files stay JSON 404s, never the page', async () => {
  for (const path of ['/v1/nope', '/v1', '/assets/missing.js']) {
    const res = await fetch(`${node.url}${path}`)
    assert.equal(res.status, 404, path)
    const body = (await res.json()) as { error: { code: string } }
    assert.equal(body.error.code, 'NOT_FOUND', path)
  }
  const openapi = (await (await fetch(`${node.url}/openapi.json`)).json()) as { paths: Record<string, unknown> }
  assert.ok(openapi.paths['/v1/stats'] && openapi.paths['/v1/network'])
  assert.deepEqual(Object.keys(openapi.paths).filter((p) => !p.startsWith('/v1/')), [])
})

test('GET /v1/stats counts receipts per minute and mode with latency; GET /v1/network lists this node', async () => {
  const before = (await (await fetch(`${node.url}/v1/network`)).json()) as NetworkResponse
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${node.url}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'verity/tiny-mlp@1.00', input: tinyInput }) })
    assert.equal(res.status, 200)
  }
  const stats = (await (await fetch(`${node.url}/v1/stats?minutes=5`)).json()) as StatsResponse
  assert.equal(stats.bucketSeconds, 60)
  assert.ok(stats.totals.receipts >= 3)
  assert.equal(stats.totals.byMode.VANILLA, stats.totals.receipts)
  assert.equal(stats.buckets.reduce((a, b) => a + b.count, 0), stats.totals.receipts)
  assert.ok(stats.buckets.every((b) => b.mode === 'VANILLA' && b.latencyAvgMs !== null && b.latencyAvgMs >= 0 && b.latencyMaxMs! >= b.latencyAvgMs))
  assert.ok(Date.parse(stats.from) < Date.parse(stats.buckets[0]!.minute) + 1 && Date.parse(stats.buckets.at(-1)!.minute) < Date.parse(stats.to))

  const network = (await (await fetch(`${node.url}/v1/network`)).json()) as NetworkResponse
  assert.equal(network.nodes.length, 1)
  const self = network.nodes[0]!
  assert.equal(self.self, true)
  assert.equal(self.address, node.address)
  assert.equal(self.endpoint, node.url)
  assert.deepEqual(self.modes, ['VANILLA', 'QUORUM', 'ZKML'], 'a node proves ZKML by default (zkWorkers 1)')
  assert.equal(self.receiptsServed, (before.nodes[0]!.receiptsServed ?? 0) + 3)
  // Unknown facts are absent, not guessed.
  assert.equal('attestation' in self, false)
  assert.equal('heartbeatAgeSeconds' in self, false)
  assert.equal('registry' in network, false)

  const bad = await fetch(`${node.url}/v1/stats?minutes=0`)
  assert.equal(bad.status, 400)
  assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'BAD_REQUEST')
})

test('a node without a built explorer answers / with a JSON 404', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verity-node-noexp-'))
  const bare = await startNode({ dataDir: dir, port: 0, workers: 1, logLevel: 'silent', explorerDir: join(dir, 'missing') })
  try {
    const res = await fetch(`${bare.url}/`)
    assert.equal(res.status, 404)
    assert.equal((await fetch(`${bare.url}/v1/health`)).status, 200)
  } finally {
    await bare.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('isClientRoute, mergeNetwork and statsTotals', () => {
  assert.equal(isClientRoute('/models/a/b?q=1'), true)
  assert.equal(isClientRoute('/v1/health'), false)
  assert.equal(isClientRoute('/openapi.json'), false)
  assert.equal(isClientRoute('/assets/x.js'), false)
  const self = { address: '0x00000000000000000000000000000000000000aa' as const, self: true, receiptsServed: 4 }
  const merged = mergeNetwork(self, {
    registry: { chainId: 31337, address: '0x00000000000000000000000000000000000000ff' },
    nodes: [
      { address: '0x00000000000000000000000000000000000000bb', self: true, stake: '5' },
      { address: '0x00000000000000000000000000000000000000AA', self: false, stake: '7', heartbeatAgeSeconds: 12, receiptsServed: 1 },
    ],
  })
  assert.equal(merged.nodes.length, 2)
  assert.deepEqual(merged.nodes[0], { address: self.address, self: true, stake: '7', heartbeatAgeSeconds: 12, receiptsServed: 4 })
  assert.equal(merged.nodes[1]!.self, false)
  assert.deepEqual(
    statsTotals([{ minute: 'a', mode: 'VANILLA', count: 2, latencyAvgMs: 10, latencyMaxMs: 12 }, { minute: 'b', mode: 'TEE', count: 1, latencyAvgMs: null, latencyMaxMs: null }]),
    { receipts: 3, byMode: { VANILLA: 2, TEE: 1 }, latencyAvgMs: 10 },
  )
})
