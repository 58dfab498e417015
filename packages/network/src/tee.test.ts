/**
 * A dev-TEE local network on a real anvil with real node processes: governance allow-lists the dev
 * measurement, nodes register with it, the attestation verifier records their attestations; mode tee
 * picks attested nodes and verifies (offline and on chain); a node whose attestation binds another
 * key is recorded invalid and never picked; revoking the measurement deactivates the nodes and makes
 * checkAttestation and `verity verify --onchain` fail, naming the revocation.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getAttestation, getMeasurementStatus, getNode, isNodeActive } from '@verity/chain'
import { DEV_TEE_MEASUREMENT_HASH } from '@verity/node'
import type { InferenceResult } from '@verity/protocol'
import { checkAttestation, createNetworkClient } from '@verity/sdk/network'
import { readNetworkFile, startLocalNetwork, type LocalNetwork } from './index.ts'
import { runVerity } from '@verity/cli/testing'
import { waitFor } from './_waitFor.ts'

const bin = fileURLToPath(new URL('../../cli/bin/verity.js', import.meta.url))
const input = { input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } }
const model = 'verity/tiny-mlp@1.00'
let dir: string
let net: LocalNetwork

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verity-tee-network-'))
  net = await startLocalNetwork({ dataDir: dir, nodes: 2, tee: 'dev', samples: ['verity/tiny-mlp'], settleIntervalMs: 1000, workers: 1, logLevel: 'warn', attestationIntervalMs: 2000 })
})
after(async () => {
  await net?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const client = (allowDevTee = true) => createNetworkClient({ rpcUrl: net.rpcUrl, deployment: net.deployment, timeoutMs: 20_000, allowDevTee })

async function verity(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.VERITY_NETWORK
  return runVerity(args, { cwd: dir, env })
}

let saved: InferenceResult
let savedPath: string

test('dev-TEE network: nodes register with the dev measurement and the verifier records them attested; mode tee verifies offline and on chain', async () => {
  const c = client()
  for (const n of net.nodes) {
    const info = await getNode(c.chain, { signer: n.address })
    assert.equal(info?.measurement, DEV_TEE_MEASUREMENT_HASH)
    const a = await getAttestation(c.chain, { signer: n.address })
    assert.equal(a.attested, true, `node ${n.address} attested`)
    assert.equal(a.measurement, DEV_TEE_MEASUREMENT_HASH)
  }
  assert.equal(readNetworkFile(net.networkFilePath).tee, 'dev')
  assert.equal((await c.discoverAttested()).length, 2)

  const result = await c.infer({ model, input, mode: 'tee' })
  assert.equal(result.receipt.mode, 'TEE')
  assert.deepEqual(result.verification.checks.map((x) => [x.check, x.ok]), [
    ['format', true], ['model', true], ['input-hash', true], ['output-hash', true], ['signature', true], ['signer', true], ['mode', true], ['registry', true], ['attestation', true],
  ])
  const { verification: _v, outputs: _o, ...wire } = result
  saved = JSON.parse(JSON.stringify(wire)) as InferenceResult
  assert.equal((await checkAttestation(c.chain, saved)).ok, true)
  const otherEvidence = await checkAttestation(c.chain, { receipt: { ...saved.receipt, proofHash: `0x${'11'.repeat(32)}` } })
  assert.equal(otherEvidence.ok, false)
  assert.match(otherEvidence.message, /Digest mismatch: the receipt relies on attestation 0x1111.*which the verifier never recorded/)

  // Without allowing the dev provider, every node's result fails the TEE check: none is accepted.
  await assert.rejects(client(false).infer({ model, input, mode: 'tee' }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'NO_NODES')
    assert.match(error.message, /INSECURE/)
    return true
  })

  // The CLI picks the network up for mode tee and accepts dev attestations because the network file says --tee dev.
  savedPath = join(dir, 'tee-result.json')
  writeFileSync(join(dir, 'input.json'), JSON.stringify(input))
  const inferred = await verity(['infer', '--model', model, '--input', 'input.json', '--mode', 'tee', '--network', net.networkFilePath, '--out', savedPath])
  assert.equal(inferred.code, 0, inferred.stdout + inferred.stderr)
  assert.match(inferred.stdout, /✔ +attestation/)
  saved = JSON.parse(readFileSync(savedPath, 'utf8')) as InferenceResult
  assert.equal(saved.receipt.mode, 'TEE')
  // The CLI accepts dev attestations here because the network file says --tee dev; --onchain once settled.
  await waitFor('the TEE receipt to settle', async () => (await c.verify(saved, { onchain: true })).ok)
  const cli = await verity(['verify', '--onchain', '--network', net.networkFilePath, savedPath])
  assert.equal(cli.code, 0, cli.stdout + cli.stderr)
  assert.match(cli.stdout, /attestation.*is attested/)
  assert.match(cli.stderr, /INSECURE dev TEE attestations \(this network was started with --tee dev\)/)
  const nodes = await verity(['network', 'nodes', '--network', net.networkFilePath])
  assert.equal(nodes.code, 0, nodes.stderr)
  assert.equal(nodes.stdout.match(/attested {2}measurement/g)?.length, 2, nodes.stdout)
})

test('a node whose attestation binds another key is recorded invalid and never picked for mode tee', async () => {
  const liar = await net.startNode(2, { VERITY_FAULT_INJECT: 'tee-wrong-key', VERITY_ALLOW_FAULT_INJECTION: '1' })
  const c = client()
  const verdict = await waitFor('the verifier to judge the lying node', async () => {
    const a = await getAttestation(c.chain, { signer: liar.address })
    return a.verifiedAt !== 0 ? a : null
  })
  assert.equal(verdict.valid, false)
  assert.equal(verdict.attested, false)
  // Still registered and active (its measurement is allowed), but not attested: mode tee skips it.
  assert.equal(await isNodeActive(c.chain, { signer: liar.address }), true)
  const attested = await c.discoverAttested()
  assert.equal(attested.length, 2)
  assert.ok(!attested.some((n) => n.address === liar.address))
  const direct = await (await fetch(`${liar.url}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, input, mode: 'tee' }) })).json() as InferenceResult
  const outcome = await checkAttestation(c.chain, direct)
  assert.equal(outcome.ok, false)
  assert.match(outcome.message, /recorded node .*attestation INVALID/)
  const verdicts = await net.verifier!.checkAll()
  const liarVerdict = verdicts.find((v) => v.signer === liar.address)!
  assert.equal(liarVerdict.valid, false)
  assert.ok(liarVerdict.reasons.some((r) => /does not commit to node/.test(r)), liarVerdict.reasons.join('; '))
})

test('revoking the measurement deactivates its nodes at once; checkAttestation and verity verify --onchain fail naming the revocation', async () => {
  const bad = await verity(['network', 'measurement', 'revoke', 'not-a-hash', '--network', net.networkFilePath])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /"not-a-hash" is not a bytes32 hash/)
  const badTee = await verity(['up', '--tee', 'sgx-please'])
  assert.notEqual(badTee.code, 0)
  assert.match(badTee.stderr, /'sgx-please' is invalid. Allowed choices are none, dev, auto, nitro, configfs-tsm, sev-guest/)

  const revoke = await verity(['network', 'measurement', 'revoke', 'dev', '--network', net.networkFilePath])
  assert.equal(revoke.code, 0, revoke.stdout + revoke.stderr)
  assert.match(revoke.stdout, new RegExp(`Revoked measurement ${DEV_TEE_MEASUREMENT_HASH}`))
  assert.equal(revoke.stdout.match(/inactive/g)?.length, 3, revoke.stdout)
  const c = client()
  for (const n of net.nodes) assert.equal(await isNodeActive(c.chain, { signer: n.address }), false)

  const outcome = await checkAttestation(c.chain, saved)
  assert.equal(outcome.ok, false)
  assert.match(outcome.message, /was revoked by governance at \d{4}-\d\d-\d\dT/)
  const cli = await verity(['verify', '--onchain', '--network', net.networkFilePath, savedPath])
  assert.equal(cli.code, 1)
  assert.match(cli.stdout, /✘ +attestation +The TEE measurement .* was revoked by governance/)
  assert.match(cli.stdout, /NOT VERIFIED/)
  const status = await getMeasurementStatus(c.chain, { measurement: DEV_TEE_MEASUREMENT_HASH })
  assert.equal(status.allowed, false)
  assert.ok(status.revokedAt > 0)

  await assert.rejects(c.infer({ model, input, mode: 'tee' }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'NO_NODES')
    assert.match(error.message, /no active node with a valid TEE attestation/)
    return true
  })
  assert.ok(JSON.parse(readFileSync(net.networkFilePath, 'utf8')).governanceKeyPath)
})
