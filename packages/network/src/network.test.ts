/**
 * One real local network for the whole file: anvil, the contracts, and node processes started by
 * startLocalNetwork (tiny-mlp only, 1 worker each, settlement every 1.5 s). Extra nodes join for the
 * failure cases: a slow one that is SIGKILLed mid-request, a lying one (test-only fault injection)
 * that is disputed and slashed, and one that crashes around its batch post.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAbiItem } from 'viem'
import { getBatch, getNode, type VerityClient as ChainClient } from '@verity/chain'
import { buildMlp } from '@verity/onnx'
import { cidForBytes, merkleLeaf, merkleRoot, receiptDigest, type Hex, type InclusionResponse, type NetworkResponse } from '@verity/protocol'
import { createClient, VerificationError } from '@verity/sdk'
import { createNetworkClient, QuorumDisagreementError, type NetworkNodeInfo } from '@verity/sdk/network'
import { startLocalNetwork, type LocalNetwork } from './index.ts'
import { waitFor } from './_waitFor.ts'

let dir: string
let net: LocalNetwork
const input = { input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } }
const model = 'verity/tiny-mlp@1.00'
const faultEnv = (fault: string) => ({ VERITY_FAULT_INJECT: fault, VERITY_ALLOW_FAULT_INJECTION: '1' })

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verity-network-'))
  net = await startLocalNetwork({ dataDir: dir, nodes: 3, samples: ['verity/tiny-mlp'], settleIntervalMs: 1500, workers: 1, logLevel: 'warn' })
})
after(async () => {
  await net?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const client = (p: Partial<Parameters<typeof createNetworkClient>[0]> = {}) => createNetworkClient({ rpcUrl: net.rpcUrl, deployment: net.deployment, timeoutMs: 20_000, ...p })
const only = (...indexes: number[]) => (nodes: NetworkNodeInfo[]) =>
  indexes.map((i) => nodes.find((n) => n.address === net.nodes[i]!.address)).filter((n): n is NetworkNodeInfo => n !== undefined)

test('the nodes are registered, staked and active; network.json says where everything runs', async () => {
  const c = client()
  const active = await c.discover()
  assert.equal(active.length, 3)
  for (const n of net.nodes) {
    const found = active.find((a) => a.address === n.address)
    assert.ok(found, `node ${n.address} is active on chain`)
    assert.equal(found.url, n.url)
    assert.equal(found.stake, BigInt(net.deployment.parameters.minStake))
  }
  assert.ok(existsSync(net.networkFilePath))
  const health = await createClient({ url: net.nodes[0]!.url }).health()
  assert.equal(health.network?.registered, true)
  assert.equal(health.network?.active, true)
  assert.equal(health.network?.chainId, net.chainId)
  assert.deepEqual(health.modes, ['VANILLA', 'QUORUM', 'ZKML'])
  // GET /v1/network on a chain node: itself first, then the registry's other active nodes.
  const view = (await (await fetch(`${net.nodes[0]!.url}/v1/network`)).json()) as NetworkResponse
  assert.deepEqual(view.registry, { chainId: net.chainId, address: net.deployment.nodeRegistry })
  assert.deepEqual(view.nodes.map((n) => [n.address, n.self]), net.nodes.map((n, i) => [n.address, i === 0]))
  for (const n of view.nodes) {
    assert.equal(n.stake, String(net.deployment.parameters.minStake))
    assert.ok(n.heartbeatAgeSeconds !== undefined && n.heartbeatAgeSeconds < 120, `${n.address} heartbeat age ${n.heartbeatAgeSeconds}`)
  }
  assert.equal(view.nodes[1]!.endpoint, net.nodes[1]!.url)
})

test('QUORUM k=3: three registered nodes sign the same output; verify passes, then on chain after settlement', async () => {
  const c = client()
  const result = await c.infer({ model, input, mode: 'quorum', k: 3 })
  const proof = result.proof as { k: number; receipts: Array<{ receipt: { node: string; requestId: string; mode: string } }> }
  assert.equal(proof.k, 3)
  assert.equal(new Set(proof.receipts.map((r) => r.receipt.node)).size, 3)
  assert.ok(proof.receipts.every((r) => r.receipt.requestId === result.receipt.requestId && r.receipt.mode === 'QUORUM'))
  assert.deepEqual(result.verification.checks.map((x) => [x.check, x.ok]), [
    ['format', true], ['model', true], ['input-hash', true], ['output-hash', true], ['signature', true], ['signer', true], ['mode', true], ['registry', true],
  ])
  const saved = JSON.parse(JSON.stringify({ ...result, verification: undefined }))
  // Requiring more agreeing nodes than were asked fails; so does a changed receipt inside the proof.
  assert.equal((await c.verify(saved, { k: 4 })).ok, false)
  const forged = structuredClone(saved)
  forged.proof.receipts[1].receipt.outputHash = `0x${'ab'.repeat(32)}`
  const forgedCheck = await c.verify(forged)
  assert.equal(forgedCheck.ok, false)
  assert.match(forgedCheck.checks.find((x) => x.check === 'mode')!.message, /different outputHash/)

  const onchain = await waitFor('settlement of all three receipts', async () => {
    const v = await c.verify(saved, { onchain: true })
    return v.ok ? v : null
  })
  assert.match(onchain.checks.find((x) => x.check === 'inclusion')!.message, /All 3 receipts are settled/)
  // The inclusion endpoint answers with the root, the proof and the batch transaction.
  const id = receiptDigest(result.receipt)
  const issuer = net.nodes.find((n) => n.address === result.receipt.node)!
  const inclusion = (await (await fetch(`${issuer.url}/v1/receipts/${id}/inclusion`)).json()) as InclusionResponse
  assert.equal(inclusion.settled, true)
  assert.match(inclusion.batchTx ?? '', /^0x[0-9a-f]{64}$/)
  assert.ok(await getBatch(c.chain, { root: inclusion.root! }))
})

test('VANILLA through the network: round-robin spreads requests; each result passes the registry check', async () => {
  const c = client({ strategy: 'round-robin' })
  const signers = new Set<string>()
  for (let i = 0; i < 3; i++) {
    const r = await c.infer({ model, input })
    assert.equal(r.verification.checks.at(-1)!.check, 'registry')
    signers.add(r.receipt.node)
  }
  assert.equal(signers.size, 3)
})

test('a node fetches a model it lacks from a peer by CID and checks the digest', async () => {
  const bytes = buildMlp({ name: 'peer-fetch', sizes: [4, 3, 2], seed: 5 })
  const cid = cidForBytes(bytes)
  const first = createClient({ url: net.nodes[0]!.url })
  await first.createRepository({ repo: 'acme/peer-only' })
  await first.createRelease({ repo: 'acme/peer-only', release: '1.00' })
  await first.pushFile({ repo: 'acme/peer-only', release: '1.00', path: 'model.onnx', bytes })
  const second = createClient({ url: net.nodes[1]!.url })
  const r = await second.infer({ model: cid, input })
  assert.equal(r.model, cid)
  assert.equal(r.receipt.node, net.nodes[1]!.address)
  // node-2 now serves the bytes itself from its own blob store.
  assert.ok(Buffer.from(await second.pull(cid)).equals(Buffer.from(bytes)))
})

test('a node SIGKILLed mid-request: the client fails over and still returns a verified result', async () => {
  const slow = await net.startNode(3, faultEnv('delay:4000'))
  const c = client({ strategy: only(3, 0, 1, 2) })
  const pending = c.infer({ model, input })
  await new Promise((r) => setTimeout(r, 1000))
  slow.process.kill('SIGKILL')
  const result = await pending
  assert.notEqual(result.receipt.node, slow.address)
  assert.equal(result.verification.ok, true)
  assert.equal(await slow.exited, null)
})

test('a node that signs a wrong output in QUORUM is caught, disputed from the CLI, and slashed', async () => {
  const liar = await net.startNode(4, faultEnv('flip-output'))
  const c = client({ strategy: only(4, 0, 1) })
  let report: QuorumDisagreementError['report'] | null = null
  try {
    await c.infer({ model, input, mode: 'quorum', k: 3 })
  } catch (error) {
    assert.ok(error instanceof QuorumDisagreementError, String(error))
    report = error.report
  }
  assert.ok(report, 'the disagreement is reported')
  assert.equal(report.groups.length, 2)
  const minority = report.groups.find((g) => g.votes.length === 1)!
  assert.equal(minority.votes[0]!.receipt.node, liar.address)
  assert.equal(report.groups.find((g) => g.votes.length === 2)!.votes.every((v) => v.receipt.node !== liar.address), true)

  // With a spare node, the client asks it and accepts the k agreeing answers; the lie is kept as dissent.
  const accepted = await client({ strategy: only(4, 0, 1, 2) }).infer({ model, input, mode: 'quorum', k: 3 })
  const acceptedProof = accepted.proof as { receipts: Array<{ receipt: { node: string } }>; dissent: Array<{ receipt: { node: string } }> }
  assert.equal(acceptedProof.receipts.some((v) => v.receipt.node === liar.address), false)
  assert.deepEqual(acceptedProof.dissent.map((v) => v.receipt.node), [liar.address])

  const file = join(dir, 'disagreement.json')
  writeFileSync(file, JSON.stringify(report))
  const bin = fileURLToPath(new URL('../../cli/bin/verity.js', import.meta.url))
  const cli = spawn(process.execPath, [bin, 'dispute', file, '--network', net.networkFilePath, '--json'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  cli.stdout.on('data', (d) => { stdout += d })
  cli.stderr.on('data', (d) => { stderr += d })
  const code = await new Promise((r) => cli.once('close', r))
  assert.equal(code, 0, stderr)
  assert.deepEqual(JSON.parse(stdout).map((x: { kind: string; slashed: string }) => [x.kind, x.slashed]), [['quorum', liar.address]])

  const info = await getNode(c.chain, { signer: liar.address })
  assert.ok(info && info.slashedAt > 0 && info.stake === 0n && !info.active)
  // The slashed node drops out of discovery, and its old receipts fail the registry check.
  assert.equal((await client().discover()).some((n) => n.address === liar.address), false)
  const lie = minority.votes[0]!
  // (wasActiveAt alone would still say yes: the node was in good standing when it signed.)
  const registry = await c.verify({ version: 1, model: report.model, input: report.input, output: {}, receipt: lie.receipt, signature: lie.signature, proof: { kind: 'quorum', k: 1, receipts: [lie] } })
  assert.match(registry.checks.find((x) => x.check === 'registry' && !x.ok)?.message ?? '', /slashed at/)
  await net.stopNode(4)
})

test('a result that does not verify makes the client fail over to an honest node', async () => {
  // node-5 (slashed) is gone; node-2's answers are fine; a tampering fetch corrupts node-1's answers.
  const tampering: typeof fetch = async (url, init) => {
    const response = await fetch(url, init)
    if (!String(url).startsWith(net.nodes[0]!.url) || !String(url).endsWith('/v1/infer')) return response
    const body = (await response.json()) as { output: { output: { data: number[] } } }
    body.output.output.data[0]! += 1
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
  }
  const c = client({ strategy: only(0, 1), fetch: tampering })
  const r = await c.infer({ model, input })
  assert.equal(r.receipt.node, net.nodes[1]!.address)
  const single = client({ strategy: only(0), fetch: tampering })
  await assert.rejects(single.infer({ model, input }), /No node returned a verified result.*output/)
  assert.ok(VerificationError)
})

test('a node killed mid-batch settles its receipts exactly once after restarts', async () => {
  // First life: no timer settlement; receipts are persisted; SIGTERM starts the shutdown settlement,
  // which persists the pending batch and dies (test fault) before posting the root.
  const node = await net.startNode(5, { ...faultEnv('crash-before-post'), VERITY_SETTLE_INTERVAL_MS: '3600000' })
  const direct = createClient({ url: node.url })
  const ids: Hex[] = []
  for (let i = 0; i < 3; i++) ids.push((await direct.infer({ model, input: { input: [[i, 1, 2, 3]] } })).verification.receiptId)
  const stored = await Promise.all(ids.map((id) => direct.getReceipt(id)))
  const order = stored.map((s) => ({ id: s.id, t: s.receipt.timestamp })).sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1)).map((s) => s.id)
  const root = merkleRoot(order.map(merkleLeaf))
  node.process.kill('SIGTERM')
  assert.equal(await node.exited, null, 'died by SIGKILL before posting')
  const chain: ChainClient = client().chain
  assert.equal(await getBatch(chain, { root }), null)

  // Second life: on start it posts the persisted batch, then dies before marking it posted.
  await assert.rejects(net.startNode(5, faultEnv('crash-after-post')), /exited/)
  const posted = await getBatch(chain, { root })
  assert.ok(posted)
  assert.equal(posted.count, 3)

  // Third life: finds the root already on chain and does not post it again.
  const healthy = await net.startNode(5)
  const inclusion = (await (await fetch(`${healthy.url}/v1/receipts/${ids[0]}/inclusion`)).json()) as InclusionResponse
  assert.equal(inclusion.settled, true)
  assert.equal(inclusion.root, root)
  const logs = await chain.publicClient.getLogs({
    address: net.deployment.settlement, event: parseAbiItem('event BatchSettled(bytes32 indexed root, address indexed node, uint32 count)'),
    args: { node: healthy.address }, fromBlock: 0n,
  })
  assert.deepEqual(logs.map((l) => [l.args.root, l.args.count]), [[root, 3]])
  assert.equal(inclusion.batchTx, logs[0]!.transactionHash)
  const health = await createClient({ url: healthy.url }).health()
  assert.equal(health.network?.settlement.pendingBatches, 0)
  assert.equal(health.network?.settlement.pendingReceipts, 0)
})

test('an individual settlement that fails falls back to the next Merkle batch: the receipt is still settled', async () => {
  const node = await net.startNode(6, { ...faultEnv('individual-settlement-fails'), VERITY_SETTLE_INTERVAL_MS: '1500' })
  try {
    const result = await createClient({ url: node.url }).infer({ model, input, settlement: 'individual' })
    assert.equal(result.settlement?.mode, 'individual')
    assert.ok(result.settlement && 'status' in result.settlement && result.settlement.status === 'failed')
    assert.equal(result.settlement.fallback, 'batch')
    const id = result.verification.receiptId
    const inclusion = await waitFor('the receipt in a settled batch', async () => {
      const answer = (await (await fetch(`${node.url}/v1/receipts/${id}/inclusion`)).json()) as InclusionResponse
      return answer.settled ? answer : null
    }, 60_000)
    assert.ok(await getBatch(client().chain, { root: inclusion.root! }))
  } finally {
    node.process.kill('SIGTERM')
    await node.exited
  }
})

test('another operator joins the running chain (chain + deployment given) and is discovered', async () => {
  const joined = await startLocalNetwork({
    dataDir: join(dir, 'joiner'), nodes: 1, chain: { rpcUrl: net.rpcUrl, deploymentPath: net.deploymentPath }, samples: ['verity/tiny-mlp'], workers: 1, logLevel: 'warn',
  })
  try {
    assert.equal(joined.anvil, null)
    assert.equal(joined.deployment.nodeRegistry, net.deployment.nodeRegistry)
    const newcomer = joined.nodes[0]!
    assert.ok((await client().discover()).some((n) => n.address === newcomer.address && n.url === newcomer.url))
    const r = await client({ strategy: (nodes) => nodes.filter((n) => n.address === newcomer.address) }).infer({ model, input, mode: 'quorum', k: 1 })
    assert.equal(r.receipt.node, newcomer.address)
  } finally {
    await joined.stop()
  }
  // The chain it joined keeps running.
  assert.ok((await client().discover()).length >= 3)
})

test('a node that signs two outputs for one request is slashed for equivocation (dispute from a saved result)', async () => {
  const { readFileSync } = await import('node:fs')
  const { signReceipt, ZERO_HASH } = await import('@verity/protocol')
  const victim = net.nodes[2]!
  const key = readFileSync(join(victim.dataDir, 'node.key'), 'utf8').trim() as Hex
  const chain = client().chain
  const now = Number((await chain.publicClient.getBlock()).timestamp)
  const vote = (outputHash: Hex) => {
    const receipt = {
      requestId: `0x${'42'.repeat(32)}` as Hex, modelDigest: `0x${'01'.repeat(32)}` as Hex, inputHash: `0x${'02'.repeat(32)}` as Hex, outputHash,
      mode: 'QUORUM' as const, proofHash: ZERO_HASH, node: victim.address, timestamp: now, chainId: net.chainId,
    }
    return { receipt, signature: signReceipt(receipt, key), node: victim.url }
  }
  const a = vote(`0x${'aa'.repeat(32)}`)
  const b = vote(`0x${'bb'.repeat(32)}`)
  const saved = { version: 1 as const, model: 'bafkreiexample', input: {}, output: {}, receipt: a.receipt, signature: a.signature, proof: { kind: 'quorum', k: 1, receipts: [a], dissent: [b] } }
  const challenger = readFileSync(net.challengerKeyPath, 'utf8').trim() as Hex
  const disputes = await client({ account: challenger }).dispute(saved)
  assert.deepEqual(disputes.map((d) => [d.kind, d.slashed]), [['equivocation', victim.address]])
  assert.ok((await getNode(chain, { signer: victim.address }))!.slashedAt > 0)
})
