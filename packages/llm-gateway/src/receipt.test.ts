import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { generatePrivateKey, privateKeyToAddress, receiptDigest, recoverReceiptSigner, signReceipt } from '@verity/protocol'
import { createLlmGateway } from './gateway.ts'
import { buildReceiptFields } from './receipt.ts'
import { llmModelDigest } from './hashing.ts'
import { completion, startScriptedUpstream, type ScriptedUpstream } from './_upstream.ts'

let upstream: ScriptedUpstream
before(async () => {
  upstream = await startScriptedUpstream()
})
after(async () => {
  await upstream.close()
})

const ATTESTATION = `0x${'ab'.repeat(32)}` as const

test('a finished exchange becomes a TEE receipt the node signs with protocol signReceipt', async () => {
  upstream.push({ json: completion('4') })
  const gateway = createLlmGateway({ providers: [{ name: 'local', baseUrl: upstream.baseUrl }] })
  const exchange = await gateway.chatCompletion({ model: 'local/tiny', messages: [{ role: 'user', content: '2+2?' }] })
  const key = generatePrivateKey()
  const node = privateKeyToAddress(key)
  const receipt = buildReceiptFields(exchange, { node, attestationHash: ATTESTATION, chainId: 31337 })
  assert.equal(receipt.mode, 'TEE')
  assert.equal(receipt.inputHash, exchange.requestHash)
  assert.equal(receipt.outputHash, exchange.outputHash)
  assert.equal(receipt.proofHash, ATTESTATION)
  assert.equal(receipt.modelDigest, llmModelDigest('local/tiny'))
  assert.equal(receipt.timestamp, Math.floor(exchange.finishedAt / 1000))
  const signature = signReceipt(receipt, key)
  assert.equal(recoverReceiptSigner(receipt, signature), node)
  assert.match(receiptDigest(receipt), /^0x[0-9a-f]{64}$/)
  // requestId is deterministic for the same exchange, and can be given.
  assert.equal(buildReceiptFields(exchange, { node, attestationHash: ATTESTATION, chainId: 31337 }).requestId, receipt.requestId)
  assert.equal(buildReceiptFields(exchange, { node, attestationHash: ATTESTATION, chainId: 1, requestId: `0x${'01'.repeat(32)}` }).requestId, `0x${'01'.repeat(32)}`)
  assert.throws(() => buildReceiptFields(exchange, { node: 'nobody', attestationHash: ATTESTATION, chainId: 1 }), TypeError)
  assert.throws(() => buildReceiptFields(exchange, { node, attestationHash: '0x12', chainId: 1 }), TypeError)
})

test('verifyLlmReceipt accepts the genuine exchange and catches a changed answer or request', async () => {
  const { verifyLlmReceipt } = await import('./verifyLlmReceipt.ts')
  upstream.push({ json: completion('4') })
  const gateway = createLlmGateway({ providers: [{ name: 'local', baseUrl: upstream.baseUrl }] })
  const exchange = await gateway.chatCompletion({ model: 'local/tiny', messages: [{ role: 'user', content: '2+2?' }] })
  const key = generatePrivateKey()
  const receipt = buildReceiptFields(exchange, { node: privateKeyToAddress(key), attestationHash: ATTESTATION, chainId: 31337 })
  const signature = signReceipt(receipt, key)
  const good = verifyLlmReceipt({ request: exchange.request, response: exchange.response, receipt, signature })
  assert.equal(good.ok, true, JSON.stringify(good.checks))
  const changed = structuredClone(exchange.response)
  changed.choices[0]!.message.content = '5'
  assert.deepEqual(verifyLlmReceipt({ request: exchange.request, response: changed, receipt, signature }).checks.filter((c) => !c.ok).map((c) => c.check), ['output-hash'])
  assert.deepEqual(verifyLlmReceipt({ request: { ...exchange.request, temperature: 2 }, response: exchange.response, receipt, signature }).checks.filter((c) => !c.ok).map((c) => c.check), ['input-hash'])
  assert.deepEqual(verifyLlmReceipt({ request: exchange.request, response: exchange.response, receipt: { ...receipt, timestamp: receipt.timestamp + 1 }, signature }).checks.filter((c) => !c.ok).map((c) => c.check), ['signature'])
})
