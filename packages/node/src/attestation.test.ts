import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { receiptDigest, verifyInferenceResult, type InferenceResult, type StoredReceipt } from '@verity/protocol'
import { attestationDigest, bindingHex, measurementHashOf, teeModeVerifier, verifyAttestation, type DevEvidence } from '@verity/tee'
import { sampleModels } from '@verity/samples'
import { createClient, VerificationError } from '@verity/sdk'
import { DEV_TEE_MEASUREMENT, resolveConfig, startNode, startNodeAttestation, type AttestationResponse, type RunningNode } from './index.ts'

const samples = sampleModels.filter((s) => s.repo === 'verity/tiny-mlp')
const tinyInput = { input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } }
let dirs: string[] = []
let teeNode: RunningNode
let plainNode: RunningNode

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'verity-attest-'))
  dirs.push(d)
  return d
}
const post = async (url: string, body: unknown) => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: r.status, body: await r.json() as Record<string, any> }
}

before(async () => {
  const common = { port: 0, seedSamples: true, samples, workers: 1, logLevel: 'silent', memory: false, zkWorkers: 0 } as const
  teeNode = await startNode({ ...common, dataDir: tmp(), tee: 'dev' })
  plainNode = await startNode({ ...common, dataDir: tmp() })
})
after(async () => {
  await teeNode?.close()
  await plainNode?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs = []
})

test('GET /v1/attestation: dev evidence binding the node key, its digest and the registered measurement hash', async () => {
  const r = await fetch(`${teeNode.url}/v1/attestation`)
  assert.equal(r.status, 200)
  const a = await r.json() as AttestationResponse
  assert.equal(a.node, teeNode.address)
  assert.equal(a.provider, 'dev')
  const evidence = a.evidence as DevEvidence
  assert.equal(evidence.kind, 'dev')
  assert.equal(evidence.reportData, bindingHex(teeNode.address))
  assert.equal(a.digest, attestationDigest(a.evidence))
  assert.equal(a.measurement, measurementHashOf('dev', Buffer.from(DEV_TEE_MEASUREMENT.slice(2), 'hex')))
  const verified = verifyAttestation(a.evidence, { now: Date.now(), policy: { allowInsecureDev: true } })
  assert.equal(verified.ok, true, JSON.stringify(verified.checks))
  // A verifier that does not allow the dev provider refuses it, naming why.
  const strict = verifyAttestation(a.evidence, { now: Date.now() })
  assert.equal(strict.ok, false)
  assert.match(strict.checks.find((c) => !c.ok)!.message, /INSECURE/)
  const health = await (await fetch(`${teeNode.url}/v1/health`)).json() as { modes: string[] }
  assert.ok(health.modes.includes('TEE'))
  const openapi = await (await fetch(`${teeNode.url}/openapi.json`)).json() as { paths: Record<string, unknown> }
  assert.ok(openapi.paths['/v1/attestation'])
})

test('POST /v1/infer mode tee: the evidence rides as proof and receipt.proofHash is its digest; teeModeVerifier accepts it only with dev allowed', async () => {
  const { status, body } = await post(`${teeNode.url}/v1/infer`, { model: 'verity/tiny-mlp@1.00', input: tinyInput, mode: 'tee' })
  assert.equal(status, 200, JSON.stringify(body))
  const result = body as InferenceResult
  assert.equal(result.receipt.mode, 'TEE')
  const current = await (await fetch(`${teeNode.url}/v1/attestation`)).json() as AttestationResponse
  assert.equal(result.receipt.proofHash, current.digest)
  assert.deepEqual(result.proof, current.evidence)
  const stored = await (await fetch(`${teeNode.url}/v1/receipts/${receiptDigest(result.receipt)}`)).json() as StoredReceipt
  assert.deepEqual(stored.proof, current.evidence, 'the node keeps the evidence with its receipt, so the receipt can be re-checked by id')
  const ok = verifyInferenceResult(result, { trustedSigners: [teeNode.address], modeVerifier: teeModeVerifier({ policy: { allowInsecureDev: true } }) })
  assert.equal(ok.ok, true, JSON.stringify(ok.checks))
  const refused = verifyInferenceResult(result, { trustedSigners: [teeNode.address], modeVerifier: teeModeVerifier() })
  assert.equal(refused.ok, false)
  assert.match(refused.checks.find((c) => !c.ok)!.message, /INSECURE/)
})

test('SDK infer mode tee verifies the attestation by default: dev evidence only with allowDevTee', async () => {
  const allowing = createClient({ url: teeNode.url, allowDevTee: true })
  const result = await allowing.infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput, mode: 'tee' })
  assert.equal(result.receipt.mode, 'TEE')
  assert.match(result.verification.checks.find((c) => c.check === 'mode')!.message, /Mode TEE: a verified dev \(INSECURE\) attestation/)
  assert.equal((await allowing.attestation()).digest, result.receipt.proofHash)
  // A saved result re-verifies later, as of its receipt's time.
  assert.equal((await allowing.verify(JSON.parse(JSON.stringify(result)))).ok, true)
  await assert.rejects(createClient({ url: teeNode.url }).infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput, mode: 'tee' }), (error: Error) => {
    assert.ok(error instanceof VerificationError)
    assert.match(error.message, /INSECURE/)
    return true
  })
})

test('a node without TEE answers 404 TEE_NOT_CONFIGURED on /v1/attestation and refuses mode tee, and keeps serving', async () => {
  const r = await fetch(`${plainNode.url}/v1/attestation`)
  assert.equal(r.status, 404)
  const body = await r.json() as { error: { code: string; message: string } }
  assert.equal(body.error.code, 'TEE_NOT_CONFIGURED')
  assert.match(body.error.message, /without a TEE/)
  const refused = await post(`${plainNode.url}/v1/infer`, { model: 'verity/tiny-mlp@1.00', input: tinyInput, mode: 'tee' })
  assert.equal(refused.status, 400)
  assert.equal(refused.body.error.code, 'UNSUPPORTED_MODE')
  assert.match(refused.body.error.message, /without a TEE/)
  assert.match(refused.body.error.hint, /--tee/)
  await assert.rejects(createClient({ url: plainNode.url }).attestation(), (error: Error & { code?: string; status?: number }) => {
    assert.equal(error.code, 'TEE_NOT_CONFIGURED')
    assert.equal(error.status, 404)
    return true
  })
  const vanilla = await post(`${plainNode.url}/v1/infer`, { model: 'verity/tiny-mlp@1.00', input: tinyInput })
  assert.equal(vanilla.status, 200)
})

test('an unknown TEE provider name is refused, naming where it came from and the accepted names', async () => {
  assert.throws(() => resolveConfig({ tee: 'sgx-please' as never }), /tee: unknown TEE provider "sgx-please"; expected one of none, dev, auto, nitro, configfs-tsm, sev-guest/)
  const previous = process.env.VERITY_TEE
  process.env.VERITY_TEE = 'tdx'
  try {
    assert.throws(() => resolveConfig({}), /VERITY_TEE: unknown TEE provider "tdx"/)
  } finally {
    if (previous === undefined) delete process.env.VERITY_TEE
    else process.env.VERITY_TEE = previous
  }
  const dir = tmp()
  writeFileSync(join(dir, 'node.json'), JSON.stringify({ tee: 'dev', teeRefreshSeconds: 60 }))
  assert.equal(resolveConfig({ configFile: join(dir, 'node.json') }).tee, 'dev')
  assert.equal(resolveConfig({ configFile: join(dir, 'node.json'), tee: 'none' }).tee, 'none')
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ tee: 'dev', teeRefresh: 60 }))
  assert.throws(() => resolveConfig({ configFile: join(dir, 'bad.json') }), /unknown key\(s\) teeRefresh/)
  writeFileSync(join(dir, 'bad-tee.json'), JSON.stringify({ tee: 'hardware' }))
  assert.throws(() => resolveConfig({ configFile: join(dir, 'bad-tee.json') }), /bad-tee.json: tee: unknown TEE provider "hardware"/)
})

test('a TEE that cannot attest stops the node from starting, saying why', async () => {
  await assert.rejects(startNode({ dataDir: tmp(), port: 0, workers: 1, logLevel: 'silent', memory: false, zkWorkers: 0, tee: 'nitro' }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'ATTESTATION_UNAVAILABLE')
    assert.match(error.message, /NSM/)
    return true
  })
})

test('freshness: evidence older than the refresh interval is replaced before it is handed out; refresh() re-attests on demand', async () => {
  let clock = 1_700_000_000_000
  const address = teeNode.address
  const attestor = (await startNodeAttestation({ setting: 'dev', address, refreshMs: 60_000, now: () => clock }))!
  try {
    const first = await attestor.current()
    assert.equal((first.evidence as DevEvidence).timestamp, clock)
    clock += 30_000
    assert.equal((await attestor.current()).digest, first.digest)
    clock += 30_000
    const second = await attestor.current()
    assert.notEqual(second.digest, first.digest)
    assert.equal((second.evidence as DevEvidence).timestamp, clock)
    assert.equal(second.measurement, first.measurement)
    clock += 1
    assert.notEqual((await attestor.refresh()).digest, second.digest)
  } finally {
    attestor.close()
  }
  assert.equal(await startNodeAttestation({ setting: 'none', address }), null)
})
