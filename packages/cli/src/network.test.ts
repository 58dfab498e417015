/**
 * End to end through the CLI: `verity up` (anvil + contracts + 3 node processes) in a fresh directory,
 * `verity infer --mode quorum --k 3` picking the network up from ./.verity/network.json, `verity verify`
 * offline and `--onchain` after settlement, Ctrl-C, and a restart that reuses the chain and deployment.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runVerity, startVerityUp, type VerityUp } from './testing.ts'

const dir = mkdtempSync(join(tmpdir(), 'verity-cli-network-'))
const env = { ...process.env, NO_COLOR: '1', VERITY_LOG_LEVEL: 'warn', VERITY_NODE: '', VERITY_CHAIN: '', VERITY_NETWORK: '' }
for (const k of ['VERITY_NODE', 'VERITY_CHAIN', 'VERITY_NETWORK'] as const) delete env[k]
const running: VerityUp[] = []

after(async () => {
  for (const up of running) await up.stop()
  rmSync(dir, { recursive: true, force: true })
})

const verity = (args: string[]) => runVerity(args, { cwd: dir, env })

async function up(settleIntervalMs: number): Promise<VerityUp> {
  const started = await startVerityUp(['--port', '0', '--settle-interval', String(settleIntervalMs), '--samples', 'verity/tiny-mlp'], { cwd: dir, env })
  running.push(started)
  return started
}

/** 'settlement batch posted' entries in each node's log. */
const postedBatches = () => [1, 2, 3].map((i) => {
  const log = join(dir, '.verity', 'nodes', `node-${i}`, 'node.log')
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"settlement batch posted"')).length : 0
})

const field = (text: string, name: string) => new RegExp(`${name}\\s+(0x[0-9a-fA-F]{40})`).exec(text)?.[1]

test('verity up → infer --mode quorum --k 3 → verify --onchain; Ctrl-C settles; restart reuses chain and deployment', async () => {
  const first = await up(1500)
  const text = first.stdout()
  assert.match(text, /Verity is up: 3 nodes on chain 31337/)
  assert.match(first.stderr(), /deploying the Verity contracts/)
  assert.match(text, /chain\s+http:\/\/127\.0\.0\.1:\d+\s+\(anvil/)
  for (const c of ['NodeRegistry', 'Settlement', 'Disputes']) assert.ok(field(text, c), `${c} address printed`)
  const nodeLines = text.split('\n').filter((l) => /^\s+node-\d\s+http/.test(l))
  assert.equal(nodeLines.length, 3)
  assert.ok(nodeLines.every((l) => /0x[0-9a-fA-F]{40}\s+1 ETH staked/.test(l)))

  writeFileSync(join(dir, 'input.json'), JSON.stringify({ input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } }))
  const run = await verity(['infer', '--model', 'verity/tiny-mlp@1.00', '--input', 'input.json', '--mode', 'quorum', '--k', '3', '--out', 'result.json'])
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /VERIFIED — all 8 checks passed/)
  assert.match(run.stdout, /Mode QUORUM: 3 distinct nodes \(k = 3\)/)
  const saved = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'))
  assert.equal(saved.proof.receipts.length, 3)

  const offline = await verity(['verify', 'result.json'])
  assert.equal(offline.code, 0, offline.stdout + offline.stderr)
  assert.match(offline.stdout, /Mode QUORUM/)

  let onchain = await verity(['verify', '--onchain', 'result.json'])
  for (let i = 0; i < 40 && onchain.code !== 0; i++) {
    await new Promise((r) => setTimeout(r, 500))
    onchain = await verity(['verify', '--onchain', 'result.json'])
  }
  assert.equal(onchain.code, 0, onchain.stdout + onchain.stderr)
  assert.match(onchain.stdout, /✔\s+registry\s+On chain 31337, all 3 signers were registered, unslashed nodes/)
  assert.match(onchain.stdout, /✔\s+on chain\s+All 3 receipts are settled on chain 31337/)

  assert.equal(await first.ctrlC(), 0)

  // Second life with no timed settlement: only the shutdown settles.
  const second = await up(3_600_000)
  const again = second.stdout()
  assert.equal(field(again, 'NodeRegistry'), field(text, 'NodeRegistry'))
  assert.doesNotMatch(second.stderr(), /deploying/)
  const addresses = (t: string) => t.split('\n').filter((l) => /^\s+node-\d\s+http/.test(l)).map((l) => /0x[0-9a-fA-F]{40}/.exec(l)![0])
  assert.deepEqual(addresses(again), addresses(text))
  // The chain kept the settled roots, and the restarted nodes serve the proofs from their new ports.
  const after = await verity(['verify', '--onchain', 'result.json'])
  assert.equal(after.code, 0, after.stdout + after.stderr)
  const run2 = await verity(['infer', '--model', 'verity/tiny-mlp@1.00', '--input', 'input.json', '--mode', 'quorum', '--k', '3', '--out', 'result2.json'])
  assert.equal(run2.code, 0, run2.stderr)
  const unsettled = await verity(['verify', '--onchain', 'result2.json'])
  assert.equal(unsettled.code, 1)
  assert.match(unsettled.stdout, /✘\s+on chain\s+Settlement on chain not proven: .*not settled yet/)
  const before = postedBatches()
  assert.equal(await second.ctrlC(), 0)
  assert.deepEqual(postedBatches(), before.map((n) => n + 1), 'each node posted one batch while shutting down')
})
