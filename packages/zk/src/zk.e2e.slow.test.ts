/**
 * End to end on a tiny model at power 11: a multi-party ceremony, phase 2, proofs from a worker
 * process, offline verification with every kind of tampering, and the Solidity verifier on anvil.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildMlp, seededRandom } from '@verity/onnx'
import {
  VerityError, cidDigest, cidForBytes, generatePrivateKey, hashTensorSet, privateKeyToAddress, signReceipt, tensorMapFromJson, verifyInferenceResult, type TensorMapJson,
} from '@verity/protocol'
import {
  compileModel, createArtifacts, createProver, loadArtifacts, releaseZkResources, runCeremony, setupCircuit, verifyZkInferenceResult, verifyZkResult, zkProofHash,
  compileSolidityVerifier, startAnvil, verifyProofCalldata, type ZkArtifacts, type ZkProveResult, type CeremonyTranscript,
} from './index.ts'

const dir = mkdtempSync(join(tmpdir(), 'verity-zk-'))
const beacon = { hash: '5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819203', iterationsExp: 10 }
const model = buildMlp({ name: 'tiny', sizes: [4, 16, 3], seed: 3 })
const rand = seededRandom(5)
const calibration = Array.from({ length: 20 }, () => Array.from({ length: 4 }, () => rand() * 2 - 1))
const input: TensorMapJson = { input: { dtype: 'float32', shape: [1, 4], data: calibration[0]! } }
/** The JSON-array form every tensor here has (the prover and these fixtures use it). */
const data = (t: unknown): Array<number | string> => (t as { data: Array<number | string> }).data
let ptauPath = ''
let transcript: CeremonyTranscript
let artifacts: ZkArtifacts
let result: ZkProveResult
const prover = createProver({ workers: 1 })

before(async () => {
  const circuit = await compileModel(model, { calibration })
  assert.equal(circuit.power, 11)
  ;({ ptauPath, transcript } = await runCeremony({ power: 11, contributors: [{ name: 'alice' }, { name: 'bob' }], beacon, dir: join(dir, 'ceremony'), preparePowers: [11] }))
  artifacts = await createArtifacts({ circuit, ptauPath, ceremony: transcript, contributors: [{ name: 'carol' }], beacon, dir: join(dir, 'models', circuit.cid) })
  result = await prover.prove(artifacts, input)
})

after(async () => {
  await prover.close()
  await releaseZkResources()
  rmSync(dir, { recursive: true, force: true })
})

test('the ceremony transcript names every contributor and the beacon; artifacts are complete', () => {
  assert.deepEqual(transcript.contributions.map((c) => c.name), ['alice', 'bob'])
  assert.equal(transcript.beacon.hash, beacon.hash)
  const loaded = loadArtifacts(artifacts.dir)
  assert.equal(loaded.manifest.cid, cidForBytes(model))
  assert.deepEqual(loaded.manifest.phase2.contributions.map((c) => c.name), ['carol'])
  assert.match(loaded.manifest.vkHash, /^0x[0-9a-f]{64}$/)
  assert.match(readFileSync(join(artifacts.dir, 'Verifier.sol'), 'utf8'), /contract Groth16Verifier/)
})

test('a proof from the worker verifies offline, and its output is the integer reference output', async () => {
  const v = await verifyZkResult({ vk: artifacts.manifest.verifierKey, input, output: result.output, proof: result.proof, publicSignals: result.publicSignals, expectedVkHash: artifacts.manifest.vkHash })
  assert.equal(v.ok, true, JSON.stringify(v.checks))
  assert.deepEqual(v.checks.map((c) => c.check), ['format', 'model', 'vk', 'input', 'output', 'proof'])
  assert.match(v.checks.at(-1)!.message, /produced exactly this output/)
  assert.equal(result.output.output!.dtype, 'int32')
  assert.match(zkProofHash(result.proof, result.publicSignals), /^0x[0-9a-f]{64}$/)
})

test('a signed ZKML InferenceResult verifies with the protocol checks plus the ZK mode checks', async () => {
  const key = generatePrivateKey()
  const receipt = {
    requestId: `0x${'11'.repeat(32)}` as const, modelDigest: cidDigest(artifacts.manifest.cid), inputHash: hashTensorSet(tensorMapFromJson(input)),
    outputHash: hashTensorSet(tensorMapFromJson(result.output)), mode: 'ZKML' as const, proofHash: zkProofHash(result.proof, result.publicSignals),
    node: privateKeyToAddress(key), timestamp: 1_700_000_000, chainId: 31337,
  }
  const inference = {
    version: 1 as const, model: artifacts.manifest.cid, input, output: result.output, receipt, signature: signReceipt(receipt, key),
    proof: { system: 'groth16-bn254' as const, proof: result.proof, publicSignals: result.publicSignals, vkHash: artifacts.manifest.vkHash },
  }
  const zk = await verifyZkInferenceResult(inference, artifacts.manifest.verifierKey)
  assert.equal(zk.ok, true, zk.message)
  const all = verifyInferenceResult(inference, { modeVerifier: () => zk })
  assert.equal(all.ok, true, JSON.stringify(all.checks))
  const swapped = { ...inference, proof: { ...inference.proof, publicSignals: [...result.publicSignals].reverse() } }
  assert.match((await verifyZkInferenceResult(swapped, artifacts.manifest.verifierKey)).message, /does not commit/)
})

test('tampering with an output value, the input, the proof, the model CID or the vk fails the named check', async () => {
  const vk = artifacts.manifest.verifierKey
  const base = { vk, input, output: result.output, proof: result.proof, publicSignals: result.publicSignals }
  const failed = async (p: Partial<typeof base> & { model?: string; expectedVkHash?: string }) => (await verifyZkResult({ ...base, ...p })).checks.filter((c) => !c.ok).map((c) => c.check)

  const out = structuredClone(result.output)
  data(out.output)[1] = (data(out.output)[1] as number) + 1
  assert.deepEqual(await failed({ output: out }), ['output'])

  const inp = structuredClone(input)
  data(inp.input)[0] = (data(inp.input)[0] as number) + 0.5
  assert.deepEqual(await failed({ input: inp }), ['input'])

  const signals = [...result.publicSignals]
  signals[2] = String(BigInt(signals[2]!) + 1n)
  const both = structuredClone(result.output)
  data(both.output)[0] = (data(both.output)[0] as number) + 1
  assert.deepEqual(await failed({ output: both, publicSignals: signals }), ['proof'], 'output and signals changed together: only the pairing check can tell')

  const proof = structuredClone(result.proof)
  proof.pi_a[0] = String(BigInt(proof.pi_a[0]!) + 1n)
  assert.deepEqual(await failed({ proof }), ['proof'])

  const other = cidForBytes(buildMlp({ name: 'other', sizes: [4, 16, 3], seed: 4 }))
  assert.deepEqual(await failed({ model: other }), ['model'])

  const vk2 = structuredClone(vk)
  ;(vk2.vk as { vk_alpha_1: string[] }).vk_alpha_1[0] = '1'
  assert.deepEqual(await failed({ vk: vk2 }), ['vk', 'proof'])
  assert.deepEqual(await failed({ expectedVkHash: `0x${'00'.repeat(32)}` }), ['vk'])

  const corrupt = await verifyZkResult({ ...base, proof: { pi_a: ['garbage'] } })
  assert.equal(corrupt.ok, false)
  assert.equal(corrupt.checks[0]!.check, 'format')
  assert.match(corrupt.checks[0]!.message, /corrupt or malformed/)
})

test('bad input, missing setup and a ceremony too small are clear errors', async () => {
  await assert.rejects(prover.prove(artifacts, { input: { dtype: 'float32', shape: [1, 3], data: [1, 2, 3] } }), (e: unknown) => e instanceof VerityError && e.code === 'INVALID_INPUT' && /needs 4 values/.test(e.message))
  await assert.rejects(prover.prove(join(dir, 'models', 'nope'), input), (e: unknown) => e instanceof VerityError && e.code === 'SETUP_MISSING')
  const big = await compileModel(buildMlp({ name: 'big', sizes: [64, 64, 4], seed: 1 }), { calibration: [Array.from({ length: 64 }, (_, i) => i / 64)], compareWithOnnxRuntime: false })
  assert.ok(big.power > 11)
  const r1csPath = join(dir, 'big.r1cs')
  writeFileSync(r1csPath, big.r1cs)
  await assert.rejects(setupCircuit({ r1csPath, ptauPath, dir: join(dir, 'big'), contributors: [{ name: 'x' }], beacon, power: big.power }), (e: unknown) => e instanceof VerityError && e.code === 'CIRCUIT_TOO_LARGE' && new RegExp(`2\\^${big.power}`).test(e.message))
  await assert.rejects(createArtifacts({ circuit: big, ptauPath: join(dir, 'missing.ptau'), ceremony: transcript, contributors: [{ name: 'x' }], beacon, dir: join(dir, 'models', 'big') }), (e: unknown) => e instanceof VerityError && e.code === 'SETUP_MISSING')
  assert.throws(() => loadArtifacts(join(dir, 'models', 'big')), (e: unknown) => e instanceof VerityError && e.code === 'SETUP_MISSING', 'nothing half-written')
})

test("a circuit with hashed outputs proves with 3 public signals and still catches a changed output", async () => {
  const circuit = await compileModel(model, { calibration, outputs: 'hashed', compareWithOnnxRuntime: false })
  const hashed = await createArtifacts({ circuit, ptauPath, ceremony: transcript, contributors: [{ name: 'carol' }], beacon, dir: join(dir, 'models', `${circuit.cid}-hashed`) })
  const r = await prover.prove(hashed, input)
  assert.equal(r.publicSignals.length, 3)
  assert.deepEqual(r.output, result.output, 'same integer output as the public-output circuit')
  const base = { vk: hashed.manifest.verifierKey, input, output: r.output, proof: r.proof, publicSignals: r.publicSignals }
  assert.equal((await verifyZkResult(base)).ok, true)
  const out = structuredClone(r.output)
  data(out.output)[2] = (data(out.output)[2] as number) - 1
  const v = await verifyZkResult({ ...base, output: out })
  assert.deepEqual(v.checks.filter((c) => !c.ok).map((c) => c.check), ['output'])
  hashedResult = { artifacts: hashed, result: r }
})

let hashedResult: { artifacts: ZkArtifacts; result: ZkProveResult } | null = null

test('the exported Solidity verifier accepts the real proof on anvil and rejects a tampered one', async () => {
  const { bytecode } = compileSolidityVerifier(readFileSync(join(artifacts.dir, 'Verifier.sol'), 'utf8'))
  const chain = await startAnvil()
  try {
    const address = await chain.deploy(bytecode)
    const good = verifyProofCalldata(result.proof, result.publicSignals)
    assert.equal(BigInt(await chain.call(address, good)), 1n)
    const gas = await chain.gasUsed(address, good)
    assert.ok(gas > 150_000 && gas < 400_000, `gas ${gas}`)
    const signals = [...result.publicSignals]
    signals[2] = String(BigInt(signals[2]!) + 1n)
    assert.equal(BigInt(await chain.call(address, verifyProofCalldata(result.proof, signals))), 0n)
    if (hashedResult) {
      const { bytecode: b2 } = compileSolidityVerifier(readFileSync(join(hashedResult.artifacts.dir, 'Verifier.sol'), 'utf8'))
      const a2 = await chain.deploy(b2)
      const data = verifyProofCalldata(hashedResult.result.proof, hashedResult.result.publicSignals)
      assert.equal(BigInt(await chain.call(a2, data)), 1n)
      const gasHashed = await chain.gasUsed(a2, data)
      assert.ok(gasHashed < gas - 10_000, `hashed outputs: ${gasHashed} gas vs ${gas}`)
    }
  } finally {
    await chain.stop()
  }
})
