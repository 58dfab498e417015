import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  ZERO_HASH, generatePrivateKey, privateKeyToAddress, signReceipt, verifyInferenceResult, type InferenceResult, type Receipt,
} from '@verity/protocol'
import { bindingFor } from './binding.ts'
import { createDevAttester } from './dev.ts'
import { atReceiptTime, teeModeVerifier, verifiedAttestationToJson } from './teeModeVerifier.ts'
import { attestationDigest, normalizeEvidence, verifyAttestation } from './verifyAttestation.ts'
import { fixtures } from './_fixtures.ts'

const MODEL = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

function teeResult(key = generatePrivateKey(), bindTo?: string): InferenceResult {
  const node = privateKeyToAddress(key)
  const evidence = normalizeEvidence(createDevAttester().attest(bindingFor(bindTo ?? node)))
  const input = { x: { dtype: 'float32', shape: [1], data: [1] } }
  const output = { y: { dtype: 'float32', shape: [1], data: [2] } }
  // Only the mode check is under test here; model and tensor hashes are left as zeros.
  const receipt: Receipt = {
    requestId: `0x${'01'.repeat(32)}`, modelDigest: ZERO_HASH, inputHash: ZERO_HASH, outputHash: ZERO_HASH, mode: 'TEE',
    proofHash: attestationDigest(evidence), node, timestamp: 1_700_000_000, chainId: 31337,
  }
  return { version: 1, model: MODEL, input: input as never, output: output as never, receipt, signature: signReceipt(receipt, key), proof: evidence }
}

const modeCheck = (r: InferenceResult, policy = { allowInsecureDev: true }) =>
  verifyInferenceResult(r, { modeVerifier: teeModeVerifier({ policy }) }).checks.find((c) => c.check === 'mode')!

test('a TEE result bound to its signing node passes the mode check', () => {
  const check = modeCheck(teeResult())
  assert.equal(check.ok, true, check.message)
  assert.match(check.message, /Mode TEE/)
})

test('the INSECURE dev attestation is refused without the explicit policy', () => {
  const check = modeCheck(teeResult(), {} as never)
  assert.equal(check.ok, false)
  assert.match(check.message, /INSECURE/)
})

test('an attestation bound to another node, or swapped for another one, fails', () => {
  const other = teeResult(generatePrivateKey(), '0x0000000000000000000000000000000000000001')
  assert.match(modeCheck(other).message, /does not commit to node/)
  const swapped = teeResult()
  swapped.proof = normalizeEvidence(createDevAttester().attest(bindingFor(swapped.receipt.node)))
  assert.match(modeCheck(swapped).message, /proofHash commits to/)
  const none = teeResult()
  delete none.proof
  assert.match(modeCheck(none).message, /no attestation evidence/)
})

test('verified attestations serialize to JSON with hex report data', () => {
  const json = verifiedAttestationToJson(verifyAttestation(fixtures.nitro(), { now: fixtures.nitroTime }))
  assert.match(json.reportData, /^0x(01){1024}$/)
  assert.equal(JSON.parse(JSON.stringify(json)).measurementHash, json.measurementHash)
})

test('a saved result verifies as of its receipt time (atReceiptTime); checked now, old evidence is stale', () => {
  const key = generatePrivateKey()
  const node = privateKeyToAddress(key)
  const signedAt = 1_700_000_000
  const evidence = normalizeEvidence(createDevAttester().attest(bindingFor(node), signedAt * 1000 - 5_000))
  const receipt: Receipt = {
    requestId: `0x${'02'.repeat(32)}`, modelDigest: ZERO_HASH, inputHash: ZERO_HASH, outputHash: ZERO_HASH, mode: 'TEE',
    proofHash: attestationDigest(evidence), node, timestamp: signedAt, chainId: 31337,
  }
  const r: InferenceResult = { version: 1, model: MODEL, input: {} as never, output: {} as never, receipt, signature: signReceipt(receipt, key), proof: evidence }
  const policy = { allowInsecureDev: true }
  const atSigning = teeModeVerifier({ policy, now: atReceiptTime })(r)
  assert.equal(atSigning.ok, true, atSigning.message)
  const today = teeModeVerifier({ policy })(r)
  assert.equal(today.ok, false)
  assert.match(today.message, /outside the 600 s window/)
})
