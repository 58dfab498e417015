import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { buildMlp } from '@verity/onnx'
import { createHash } from 'node:crypto'
import { BINARY_MESSAGE_MEDIA_TYPE, cidForBytes, decodeBinaryMessage, encodeBinaryMessage, hashTensorSet, verifyInferenceResult, type InferenceResult } from '@verity/protocol'
import { createClient, NodeRequestError, VerificationError } from '@verity/sdk'
import { sampleModels } from '@verity/samples'
import { startNode, type RunningNode } from './index.ts'
import { expectNodeError } from './_testErrors.ts'

const samples = sampleModels.filter((s) => s.repo === 'verity/tiny-mlp' || s.repo === 'paddleocr/text-direction-classifier')
let dataDir: string
let node: RunningNode

async function start(): Promise<RunningNode> {
  return startNode({ dataDir, port: 0, seedSamples: true, samples, workers: 1, logLevel: 'silent', maxInputBytes: 1024 * 1024 })
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'verity-node-'))
  node = await start()
})
after(async () => {
  await node?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const tinyInput = { input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } }

const expectError = expectNodeError

test('the node key is created once, mode 0600, and its address is what /v1/health reports', async () => {
  const keyFile = join(dataDir, 'node.key')
  assert.equal(statSync(keyFile).mode & 0o777, 0o600)
  const health = await createClient({ url: node.url }).health()
  assert.equal(health.address, node.address)
  assert.equal(health.status, 'ok')
  assert.ok(health.models >= 2)
})

test('infer on a sample model returns a result the SDK verifies, by name and by CID', async () => {
  const client = createClient({ url: node.url })
  const byName = await client.infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput })
  assert.equal(byName.verification.ok, true)
  assert.equal(byName.receipt.node, node.address)
  assert.deepEqual(byName.output.output!.shape, [1, 3])
  const byCid = await client.infer({ model: byName.model, input: { input: [[0.5, -1.25, 3, 0.125]] } })
  assert.equal(byCid.receipt.outputHash, byName.receipt.outputHash, 'same model and input give the same output hash')
  const stored = await client.getReceipt(byName.verification.receiptId)
  assert.deepEqual(stored.receipt, byName.receipt)
  assert.equal(stored.signature, byName.signature)
})

test('a real third-party model (PaddleOCR direction classifier) runs and verifies', async () => {
  const cls = samples.find((s) => s.repo === 'paddleocr/text-direction-classifier')!
  const result = await createClient({ url: node.url }).infer({ model: `${cls.repo}@${cls.release}`, input: cls.exampleInput() })
  assert.deepEqual(result.output[Object.keys(result.output)[0]!]!.shape, [1, 2])
})

test('a tampered result fails verification and names the check', async () => {
  const { verification: _, outputs: __, ...result } = await createClient({ url: node.url }).infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput, encoding: 'json' })
  const tampered = structuredClone(result) as InferenceResult
  const values = (tampered.output.output as { data: number[] }).data
  values[0] = values[0]! + 1
  const verdict = verifyInferenceResult(tampered)
  assert.equal(verdict.ok, false)
  assert.deepEqual(verdict.checks.filter((c) => !c.ok).map((c) => c.check), ['output-hash'])
  const forged = { ...structuredClone(result), receipt: { ...result.receipt, timestamp: result.receipt.timestamp + 1 } }
  assert.deepEqual(verifyInferenceResult(forged).checks.filter((c) => !c.ok).map((c) => c.check), ['signature'])
})

test('the SDK rejects a result signed by a node it does not trust', async () => {
  const client = createClient({ url: node.url, trustedSigners: ['0x0000000000000000000000000000000000000001'] })
  await assert.rejects(client.infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput }), (e: unknown) => e instanceof VerificationError && e.check === 'signer')
})

for (const binary of [true, false]) {
  test(`bad inputs get clear errors and the node keeps serving (${binary ? 'binary messages' : 'JSON'})`, async () => {
  const client = createClient({ url: node.url })
  const infer = (p: Parameters<typeof client.infer>[0]) => client.infer({ ...p, binary })
  await expectError(infer({ model: 'verity/tiny-mlp@1.00', input: { wrong: tinyInput.input } }), 'INVALID_INPUT', 400, /wrong/)
  await expectError(infer({ model: 'verity/tiny-mlp@1.00', input: { input: { dtype: 'float32', shape: [1, 5], data: [1, 2, 3, 4, 5] } } }), 'INVALID_INPUT', 400, /axis|dimension|shape/i)
  await expectError(infer({ model: 'verity/tiny-mlp@1.00', input: { input: { dtype: 'int32', shape: [1, 4], data: [1, 2, 3, 4] } } }), 'INVALID_INPUT', 400, /float32/)
  await expectError(infer({ model: 'verity/tiny-mlp@1.00', input: { input: { dtype: 'float32', shape: [1, 4], data: [1, 'NaN', 3, 4] } } }), 'INVALID_INPUT', 400, /NaN/)
  await expectError(infer({ model: 'verity/tiny-mlp@1.00', input: { input: { dtype: 'float32', shape: [1, 300000], data: new Array(300000).fill(0.5) } } }), 'INPUT_TOO_LARGE', 413, /larger|limit|too/i)
  await expectError(infer({ model: 'nobody/nothing@1.00', input: tinyInput }), 'MODEL_NOT_FOUND', 404, /nobody\/nothing/)
  await expectError(infer({ model: cidForBytes(new Uint8Array([1, 2, 3])), input: tinyInput }), 'MODEL_NOT_FOUND', 404, /bafkrei/)
  await expectError(infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput, mode: 'bogus' as never }), 'BAD_REQUEST', 400, /mode/)
  // Still serving.
  assert.equal((await infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput })).verification.ok, true)
  })
}

test('binary messages: typed tensors in and out, the input not echoed, the receipt committing to the bytes sent', async () => {
  const x = { dtype: 'float32' as const, shape: [1, 4], data: Float32Array.of(0.5, -1.25, 3, 0.125) }
  const request = encodeBinaryMessage({ model: 'verity/tiny-mlp@1.00' }, { input: x })
  const response = await fetch(`${node.url}/v1/infer`, { method: 'POST', headers: { 'content-type': BINARY_MESSAGE_MEDIA_TYPE }, body: request })
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('content-type'), BINARY_MESSAGE_MEDIA_TYPE)
  const { head, tensors } = decodeBinaryMessage(new Uint8Array(await response.arrayBuffer()))
  assert.equal('input' in head, false)
  const receipt = head.receipt as InferenceResult['receipt']
  const tensorBytes = request.subarray(8 + new DataView(request.buffer, request.byteOffset).getUint32(4, true))
  assert.equal(receipt.inputHash, `0x${createHash('sha256').update(tensorBytes).digest('hex')}`, 'sha2-256 of the VTS1 bytes as sent')
  assert.equal(receipt.outputHash, hashTensorSet(tensors))
  const json = await createClient({ url: node.url }).infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput, binary: false })
  assert.equal(json.receipt.outputHash, receipt.outputHash, 'the same output as over JSON')
  assert.deepEqual([...(tensors.output!.data as Float32Array)], [...(json.outputs.output!.data as Float32Array)])
  const viaSdk = await createClient({ url: node.url }).infer({ model: 'verity/tiny-mlp@1.00', input: { input: x } })
  assert.equal(viaSdk.verification.ok, true)
  assert.deepEqual(viaSdk.input, { input: { dtype: 'float32', shape: [1, 4], base64: Buffer.from(x.data.buffer).toString('base64') } })
})

test('malformed binary messages get clear errors naming what is wrong; the node keeps serving', async () => {
  const post = async (body: Uint8Array) => {
    const response = await fetch(`${node.url}/v1/infer`, { method: 'POST', headers: { 'content-type': BINARY_MESSAGE_MEDIA_TYPE }, body })
    return { status: response.status, error: ((await response.json()) as { error: { code: string; message: string } }).error }
  }
  const good = encodeBinaryMessage({ model: 'verity/tiny-mlp@1.00' }, { input: { dtype: 'float32', shape: [1, 4], data: Float32Array.of(1, 2, 3, 4) } })
  const cases: Array<[Uint8Array, string, RegExp]> = [
    [good.subarray(0, good.length - 2), 'INVALID_INPUT', /request tensors: tensor "input"'s data runs past the end/],
    [new Uint8Array([...good, 0]), 'INVALID_INPUT', /1 bytes after the last tensor/],
    [new Uint8Array([0x56, 0x52, 0x42, 0x32, ...good.subarray(4)]), 'INVALID_INPUT', /does not start with "VRB1"/],
    [encodeBinaryMessage({ model: 'verity/tiny-mlp@1.00', encoding: 'json' }, {}), 'BAD_REQUEST', /must not carry "encoding"/],
    [encodeBinaryMessage({ model: 'verity/tiny-mlp@1.00', colour: 'red' }, {}), 'BAD_REQUEST', /additional properties/],
    [encodeBinaryMessage({ model: 'verity/tiny-mlp@1.00' }, { input: { dtype: 'float64', shape: [1, 4], data: Float64Array.of(1, 2, 3, 4) } }), 'INVALID_INPUT', /float32/],
  ]
  for (const [body, code, message] of cases) {
    const { status, error } = await post(body)
    assert.equal(error.code, code, error.message)
    assert.equal(status, 400)
    assert.match(error.message, message)
  }
  const again = await fetch(`${node.url}/v1/infer`, { method: 'POST', headers: { 'content-type': BINARY_MESSAGE_MEDIA_TYPE }, body: good })
  assert.equal(again.status, 200, 'still serving')
})

function blobFiles(): string[] {
  const root = join(dataDir, 'blobs')
  const out: string[] = []
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) e.isDirectory() ? walk(join(dir, e.name)) : out.push(join(dir, e.name))
  }
  walk(root)
  return out.sort()
}

test('corrupt, truncated and mismatched uploads are rejected and leave nothing behind', async () => {
  const client = createClient({ url: node.url })
  await client.createRepository({ repo: 'acme/uploads', task: 'tabular-classification' })
  await client.createRelease({ repo: 'acme/uploads', release: '1.00' })
  const before = blobFiles()
  const good = buildMlp({ name: 'u', sizes: [8, 16, 2], seed: 5 })
  await expectError(client.pushFile({ repo: 'acme/uploads', release: '1.00', path: 'bad.onnx', bytes: new TextEncoder().encode('not a model') }), 'INVALID_MODEL_FILE', 422, /ONNX/)
  await expectError(client.pushFile({ repo: 'acme/uploads', release: '1.00', path: 'cut.onnx', bytes: good.subarray(0, good.length - 7) }), 'INVALID_MODEL_FILE', 422, /truncated|ONNX/)
  // A digest mismatch: claim one CID, send other bytes.
  const res = await fetch(`${node.url}/v1/repos/acme/uploads/releases/1.00/files/m.onnx`, {
    method: 'PUT', body: good, headers: { 'content-type': 'application/octet-stream', 'x-expected-cid': cidForBytes(new Uint8Array([9])) },
  })
  assert.equal(res.status, 422)
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'DIGEST_MISMATCH')
  assert.deepEqual(blobFiles(), before, 'no blob or temp file left on disk')
  assert.deepEqual(await client.listFiles({ repo: 'acme/uploads', release: '1.00' }), [], 'no file row left in the database')
  const ok = await client.pushFile({ repo: 'acme/uploads', release: '1.00', path: 'm.onnx', bytes: good })
  assert.equal(ok.cid, cidForBytes(good))
  assert.deepEqual(ok.schema?.inputs[0]?.shape, ['batch', 8])
})

test('hub routes: model card, search, download re-verified, OpenAPI document', async () => {
  const client = createClient({ url: node.url })
  const card = await client.modelCard('verity/tiny-mlp')
  assert.equal(card.releases[0]!.release, '1.00')
  assert.equal(card.releases[0]!.published, true)
  const file = card.releases[0]!.files[0]!
  assert.deepEqual(file.schema!.inputs, [{ name: 'input', dtype: 'float32', shape: ['batch', 4] }])
  const bytes = await client.pull(file.cid)
  assert.equal(cidForBytes(bytes), file.cid)
  const hits = await client.search({ q: 'paddleocr direction' })
  assert.equal(hits.items[0]!.name, 'text-direction-classifier')
  const openapi = (await (await fetch(`${node.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> }
  assert.equal(openapi.openapi, '3.1.0')
  for (const path of ['/v1/health', '/v1/infer', '/v1/search', '/v1/repos', '/v1/receipts/{id}', '/v1/blobs/{cid}']) assert.ok(openapi.paths[path], `${path} documented`)
  const unknown = await fetch(`${node.url}/v1/nope`)
  assert.equal(unknown.status, 404)
  assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'NOT_FOUND')
})

test('restarting keeps models, releases and receipts; the key stays the same', async () => {
  const client = createClient({ url: node.url })
  const result = await client.infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput })
  const address = node.address
  await node.close()
  node = await start()
  const again = createClient({ url: node.url })
  assert.equal(node.address, address)
  const stored = await again.getReceipt(result.verification.receiptId)
  assert.equal(stored.signature, result.signature)
  assert.equal((await again.modelCard('acme/uploads')).releases[0]!.files.length, 1)
  assert.equal((await again.infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput })).receipt.outputHash, result.receipt.outputHash)
})

test('the private key never appears in the logs, even at trace level', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verity-node-logs-'))
  const sink: string[] = []
  const capture = new Writable({ write(chunk, _enc, cb) { sink.push(String(chunk)); cb() } })
  try {
    const second = await startNode({ dataDir: dir, port: 0, workers: 1, logLevel: 'trace', logStream: capture, seedSamples: true, samples: samples.filter((s) => s.repo === 'verity/tiny-mlp') })
    try {
      await createClient({ url: second.url }).infer({ model: 'verity/tiny-mlp@1.00', input: tinyInput })
    } finally {
      await second.close()
    }
    const key = readFileSync(join(dir, 'node.key'), 'utf8').trim()
    const text = sink.join('')
    assert.ok(text.includes(second.address), 'logs were captured and name the address')
    assert.ok(!text.includes(key.slice(2)), 'key not in logs')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
