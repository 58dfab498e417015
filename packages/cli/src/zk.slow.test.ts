/**
 * ZKML end to end on a real node with real proofs (tiny MLP, power 11): `verity zk compile` stores the
 * setup with the release, the SDK infers in mode zkml and verifies by default, `verity verify` checks
 * saved results offline, and every kind of tampering fails with its check named.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildMlp, buildModel, seededRandom } from '@verity/onnx'
import { cidForBytes, type InferenceResult } from '@verity/protocol'
import { startNode, type RunningNode } from '@verity/node'
import { createClient, NodeRequestError } from '@verity/sdk'
import { zkProofHash as contractZkProofHash } from '@verity/chain'
import { releaseZkResources } from '@verity/zk'
import { runVerity } from './testing.ts'

const bin = fileURLToPath(new URL('../bin/verity.js', import.meta.url))
let dir: string
let node: RunningNode
const beacon = '5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819203'
const input = { input: { dtype: 'float32', shape: [1, 4], data: [0.5, -0.25, 0.75, 0.125] } } as const

async function verity(args: string[]) {
  return runVerity(args, { cwd: dir, env: { ...process.env, VERITY_NODE: node.url, VERITY_ZK_DATA: join(dir, 'ceremonies') }, timeoutMs: 600_000 })
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verity-zkml-'))
  node = await startNode({ dataDir: join(dir, 'node'), port: 0, workers: 1, zkWorkers: 1, logLevel: 'silent' })
  writeFileSync(join(dir, 'mlp.onnx'), buildMlp({ name: 'zk', sizes: [4, 16, 3], seed: 3 }))
  writeFileSync(join(dir, 'softmax.onnx'), buildModel({
    name: 's', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
    nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], name: 'head' }],
  }))
  const rand = seededRandom(5)
  writeFileSync(join(dir, 'calibration.json'), JSON.stringify(Array.from({ length: 20 }, () => Array.from({ length: 4 }, () => rand() * 2 - 1))))
  writeFileSync(join(dir, 'input.json'), JSON.stringify(input))
  for (const [file, repo] of [['mlp.onnx', 'acme/zk'], ['softmax.onnx', 'acme/softmax']]) {
    const push = await verity(['model', 'push', file!, '--repo', repo!, '--release', '1.00'])
    assert.equal(push.code, 0, push.stderr)
  }
})
after(async () => {
  await releaseZkResources()
  await node?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('bad input: an unsupported op and a missing setup fail clearly, with nothing half-written', async () => {
  const bad = await verity(['zk', 'compile', 'acme/softmax@1.00', '--ceremony-dir', join(dir, 'ceremonies')])
  assert.equal(bad.code, 1, bad.stdout + bad.stderr)
  assert.match(bad.stderr, /UNSUPPORTED_OPERATOR: .*Softmax/)
  const client = createClient({ url: node.url })
  assert.deepEqual((await client.listFiles({ repo: 'acme/softmax', release: '1.00' })).map((f) => f.path), ['softmax.onnx'])
  await assert.rejects(client.infer({ model: 'acme/zk@1.00', input, mode: 'zkml' }), (e: unknown) => e instanceof NodeRequestError && e.code === 'SETUP_MISSING' && /verity zk compile/.test(e.message))
})

let result: InferenceResult

test('verity zk compile stores the setup with the release; the SDK proves in mode zkml and verifies by default', async () => {
  const compiled = await verity(['zk', 'compile', 'acme/zk@1.00', '--calibration', 'calibration.json', '--contributor', 'alice', '--contributor', 'bob', '--beacon', beacon])
  assert.equal(compiled.code, 0, compiled.stdout + compiled.stderr)
  assert.match(compiled.stdout, /agreement with onnxruntime float output on 20 samples: argmax \d+(\.\d)?%, max abs error/)
  assert.match(compiled.stdout, /Gemm/)
  assert.match(compiled.stderr, /phase 1: contribution 2 by bob/)
  assert.match(compiled.stderr, /phase 2: proving key re-derived/)
  assert.match(compiled.stdout, /ZKML ready .* verification key hash 0x[0-9a-f]{64}/s)

  const client = createClient({ url: node.url })
  const card = await client.modelCard('acme/zk')
  const setup = await client.zkSetup(card.releases[0]!.files.find((f) => f.path.endsWith('.onnx'))!.cid)
  assert.equal(card.releases[0]!.vkHash, setup.vkHash)
  assert.deepEqual(Object.keys(setup.files).sort(), ['zk/Verifier.sol', 'zk/ceremony.json', 'zk/circuit.r1cs', 'zk/circuit.zkey', 'zk/manifest.json', 'zk/plan.json', 'zk/vk.json'])
  assert.ok((await client.health()).modes.includes('ZKML'))

  const r = await client.infer({ model: 'acme/zk@1.00', input, mode: 'zkml' })
  assert.equal(r.receipt.mode, 'ZKML')
  assert.equal(r.output.output!.dtype, 'int32', 'the proven integer output, not the float one')
  assert.ok(r.verification.zk!.length === 6 && r.verification.zk!.every((c) => c.ok))
  const p = r.proof as { proof: { pi_a: string[]; pi_b: string[][]; pi_c: string[] }; publicSignals: string[]; unprovenFloatOutput: Record<string, { dtype: string }> }
  assert.equal(p.unprovenFloatOutput.output!.dtype, 'float32')
  // proofHash is the contracts' Settlement.zkProofHash (abi.encode of the Solidity verifier's arguments).
  const n = (s: string) => BigInt(s)
  assert.equal(r.receipt.proofHash, contractZkProofHash({
    a: [n(p.proof.pi_a[0]!), n(p.proof.pi_a[1]!)], b: [[n(p.proof.pi_b[0]![1]!), n(p.proof.pi_b[0]![0]!)], [n(p.proof.pi_b[1]![1]!), n(p.proof.pi_b[1]![0]!)]],
    c: [n(p.proof.pi_c[0]!), n(p.proof.pi_c[1]!)], publicSignals: p.publicSignals.map(n),
  }))
  const { verification: _v, outputs: _o, ...wire } = r
  result = wire
  assert.equal((await client.verify(result)).ok, true, 'client.verify checks ZKML results with the release key')
  const changed = structuredClone(result)
  changed.model = cidForBytes(new Uint8Array([9]))
  const v = await client.verify(changed)
  assert.deepEqual(v.checks.filter((c) => !c.ok).map((c) => c.check), ['model', 'mode'])

  // A tampered output from the node: the SDK refuses it, naming the check.
  const forged = structuredClone(result)
  const failedChecks = async (x: InferenceResult) => {
    const check = await client.checkZkml(x)
    return check.zkChecks.filter((c) => !c.ok).map((c) => c.check)
  }
  ;(forged.proof as { publicSignals: string[] }).publicSignals[1] = '7'
  assert.deepEqual(await failedChecks(forged), [], 'proofHash no longer commits to the signals: caught before the ZK checks')
  assert.match((await client.checkZkml(forged)).message, /does not commit to the attached proof/)
})

test('async proofs: 202 with an id, then GET /v1/proofs/:id', async () => {
  const response = await fetch(`${node.url}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'acme/zk@1.00', input, mode: 'zkml', async: true }) })
  assert.equal(response.status, 202)
  const pending = await response.json() as { id: string; status: string }
  assert.equal(pending.status, 'pending')
  const done = await createClient({ url: node.url }).waitForProof(pending.id, 60_000)
  assert.equal(done.receipt.mode, 'ZKML')
  assert.equal(done.receipt.outputHash, result.receipt.outputHash, 'same input, same proven output')
  const missing = await fetch(`${node.url}/v1/proofs/nope`)
  assert.equal(missing.status, 404)
})

test('verity infer --mode zkml saves a result; verity verify explains it and names every tampering', async () => {
  const run = await verity(['infer', '--model', 'acme/zk@1.00', '--input', 'input.json', '--mode', 'zkml', '--out', 'zk.json'])
  assert.equal(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /NOT proven/)
  const ok = await verity(['verify', 'zk.json'])
  assert.equal(ok.code, 0, ok.stdout + ok.stderr)
  assert.match(ok.stdout, /The proof shows that model bafkrei\w+, run on the input whose hash is .*, produced exactly this output/)
  assert.match(ok.stdout, /embedded in the result, hash 0x[0-9a-f]{64}; NOT pinned/)
  const byNode = await verity(['verify', 'zk.json', '--node', node.url])
  assert.equal(byNode.code, 0, byNode.stdout + byNode.stderr)
  assert.match(byNode.stdout, /from the model release acme\/zk@1.00/)
  const trusted = await verity(['verify', 'zk.json', '--node', node.url, '--trust-contributor', 'bob'])
  assert.equal(trusted.code, 0, trusted.stdout + trusted.stderr)
  assert.match(trusted.stdout, /Setup policy: The setup's contributors include one you trust in every phase \(alice, bob\)/)
  const untrusted = await verity(['verify', 'zk.json', '--node', node.url, '--trust-contributor', 'mallory'])
  assert.equal(untrusted.code, 1)
  assert.match(untrusted.stdout, /no contributor you trust took part in phase 1 \(alice, bob\)/)

  const saved = JSON.parse(readFileSync(join(dir, 'zk.json'), 'utf8'))
  const tamper = async (name: string, change: (r: typeof saved) => void, ...expected: RegExp[]) => {
    const copy = structuredClone(saved)
    change(copy)
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(copy))
    const v = await verity(['verify', `${name}.json`])
    assert.equal(v.code, 1, `${name}: ${v.stdout}`)
    for (const e of expected) assert.match(v.stdout, e, name)
  }
  await tamper('output', (r) => { r.output.output.data[1] += 1 }, /✘\s+output\s/, /\[output\] The output differs from what was proven/)
  await tamper('input', (r) => { r.input.input.data[0] += 0.5 }, /✘\s+input\s/, /\[input\] The input hashes to .* the input was changed/)
  await tamper('proof', (r) => { r.proof.proof.pi_a[0] = String(BigInt(r.proof.proof.pi_a[0]) + 1n) }, /✘\s+proof\s+.*does not commit to the attached proof/)
  await tamper('corrupt', (r) => { r.proof.proof.pi_c = ['not a number'] }, /✘\s+proof\s+.*malformed/)
  await tamper('model', (r) => { r.model = cidForBytes(new Uint8Array([1, 2, 3])) }, /✘\s+model\s/, /\[model\] The result claims model bafkrei\w+, but the verification key is for/)
  const wrongKey = await verity(['verify', 'zk.json', '--vk-hash', `0x${'00'.repeat(32)}`])
  assert.equal(wrongKey.code, 1)
  assert.match(wrongKey.stdout, /not this model's key/)

  const sol = await verity(['zk', 'export-verifier', 'acme/zk@1.00', '-o', 'Verifier.sol'])
  assert.equal(sol.code, 0, sol.stderr)
  assert.match(readFileSync(join(dir, 'Verifier.sol'), 'utf8'), /contract Groth16Verifier/)
})

test('a model CID maps to one key: compiling another release of the same model reuses the setup', async () => {
  const push = await verity(['model', 'push', 'mlp.onnx', '--repo', 'acme/zk-copy', '--release', '1.00'])
  assert.equal(push.code, 0, push.stderr)
  const again = await verity(['zk', 'compile', 'acme/zk-copy@1.00'])
  assert.equal(again.code, 0, again.stdout + again.stderr)
  assert.match(again.stderr, /already has a ZKML setup in acme\/zk@1.00; attaching the same files/)
  const client = createClient({ url: node.url })
  const [a, b] = await Promise.all([client.modelCard('acme/zk'), client.modelCard('acme/zk-copy')])
  assert.equal(a.releases[0]!.vkHash, b.releases[0]!.vkHash)
})
