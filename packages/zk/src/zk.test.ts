/// <reference path="./vendor.d.ts" />
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { poseidon16 } from 'poseidon-lite'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { VerityError } from '@verity/protocol'
import { buildModel, buildMlp, floatTensor, int64Tensor, seededRandom } from '@verity/onnx'
import {
  BuildCs, WitnessCs, compileModel, executePlan, firstViolatedConstraint, hashInputBytes, parseGraph, publicSignalCount, quantizeInput,
  writeR1cs, writeWtns, zkmlCircuit, zkProofHash, checkSetupPolicy, hashOutputValues, FIELD_MODULUS,
} from './index.ts'
import { hashInputGadget, poseidon16Gadget } from './poseidonGadget.ts'

test('Poseidon gadget equals poseidon-lite (circomlib) and its constraints hold', () => {
  const inputs = Array.from({ length: 16 }, (_, i) => BigInt(i * 1000003 + 7))
  const build = new BuildCs(1)
  poseidon16Gadget(build, inputs.map(() => build.wire()))
  const r = build.constraints.length
  assert.equal(r, 612, '204 S-boxes × 3 constraints')
  const circ = (cs: BuildCs | WitnessCs) => {
    const xs = inputs.map((v) => (cs as WitnessCs).wire(() => v))
    cs.bindPublic(0, poseidon16Gadget(cs as WitnessCs, xs as bigint[]) as never)
  }
  const b = new BuildCs(1)
  circ(b)
  const w = new WitnessCs(1)
  circ(w)
  assert.equal(w.values[1], poseidon16(inputs))
  assert.equal(firstViolatedConstraint(b.finish(), w.values), -1)
})

test('input hash: specified vector, and the gadget agrees with it', () => {
  const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) % 256)
  const h = hashInputBytes(bytes)
  // Frozen: H_1 = Poseidon16([40, e_0, e_1, 0, …]) with e_j the little-endian packing of 31 bytes.
  assert.equal(h.toString(), hashInputBytes(Uint8Array.from(bytes)).toString())
  assert.equal(h, poseidon16([40n, ...[bytes.subarray(0, 31), bytes.subarray(31)].map((c) => BigInt(`0x${Buffer.from(c).reverse().toString('hex')}`)), ...new Array(13).fill(0n)]))
  const circ = (cs: WitnessCs | BuildCs) => cs.bindPublic(0, hashInputGadget(cs as WitnessCs, Array.from(bytes, (b) => (cs as WitnessCs).wire(() => BigInt(b)))) as never)
  const b = new BuildCs(1)
  circ(b)
  const w = new WitnessCs(1)
  circ(w)
  assert.equal(w.values[1], h)
  assert.equal(firstViolatedConstraint(b.finish(), w.values), -1)
  assert.notEqual(hashInputBytes(Uint8Array.of(...bytes.subarray(0, 39), 0)), h)
})

test('.r1cs and .wtns writers produce the iden3 layout', () => {
  const b = new BuildCs(1)
  const x = b.wire()
  b.enforce(x, x, b.wire())
  b.bindPublic(0, x)
  const r1cs = writeR1cs(b.finish())
  assert.equal(Buffer.from(r1cs.subarray(0, 4)).toString(), 'r1cs')
  const v = new DataView(r1cs.buffer)
  assert.equal(v.getUint32(4, true), 1)
  assert.equal(v.getUint32(8, true), 3)
  const wtns = writeWtns([1n, 3n, 3n, 9n])
  assert.equal(Buffer.from(wtns.subarray(0, 4)).toString(), 'wtns')
  assert.equal(wtns.length, 12 + 12 + 40 + 12 + 4 * 32)
  assert.equal(new DataView(wtns.buffer).getUint8(wtns.length - 32), 9)
})

function tinyCnn(): Uint8Array {
  const r = seededRandom(11)
  const w = (n: number, s = 0.5) => Array.from({ length: n }, () => (r() * 2 - 1) * s)
  return buildModel({
    name: 'tiny-cnn',
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 8, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3] }],
    initializers: [
      floatTensor('k1', [3, 1, 3, 3], w(27)), floatTensor('b1', [3], w(3, 0.1)),
      floatTensor('g', [3], [1.2, 0.8, 1]), floatTensor('be', [3], [0.1, -0.1, 0]), floatTensor('mu', [3], [0.05, 0, -0.02]), floatTensor('var', [3], [1.1, 0.9, 1]),
      floatTensor('k2', [4, 3, 3, 3], w(108)), floatTensor('b2', [4], w(4, 0.1)),
      floatTensor('k3', [4, 4, 1, 1], w(16)),
      int64Tensor('shape', [2], [1, -1]),
      floatTensor('W', [3, 16], w(48)), floatTensor('B', [3], w(3, 0.1)),
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'k1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1], strides: [1, 1], kernel_shape: [3, 3] } },
      { op: 'BatchNormalization', inputs: ['c1', 'g', 'be', 'mu', 'var'], outputs: ['bn'] },
      { op: 'Relu', inputs: ['bn'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['p1', 'k2', 'b2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } },
      { op: 'LeakyRelu', inputs: ['c2'], outputs: ['r2'], attrs: { alpha: 0.1 } },
      { op: 'Conv', inputs: ['r2', 'k3'], outputs: ['c3'] },
      { op: 'Add', inputs: ['c3', 'r2'], outputs: ['s'] },
      { op: 'AveragePool', inputs: ['s'], outputs: ['p2'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Reshape', inputs: ['p2', 'shape'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W', 'B'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  })
}

test('a CNN with Conv (padding, stride), BatchNorm, MaxPool, LeakyRelu, AveragePool, Add, Reshape compiles; witnesses satisfy the R1CS and match onnxruntime', async () => {
  const model = tinyCnn()
  const r = seededRandom(3)
  const calibration = Array.from({ length: 40 }, () => Array.from({ length: 64 }, () => r()))
  const progress: string[] = []
  const c = await compileModel(model, { calibration, onProgress: (p) => progress.push(p.stage) })
  assert.equal(c.agreement.reference, 'onnxruntime')
  assert.ok(c.agreement.argmaxAgreement >= 0.9, `argmax agreement ${c.agreement.argmaxAgreement}`)
  assert.ok(progress.includes('constraints') && progress.includes('agreement'))
  assert.ok(c.layers.some((l) => l.op === 'MaxPool') && c.layers.some((l) => l.op === 'Conv') && c.layers.some((l) => l.op === 'Requant+LeakyRelu'))
  const build = new BuildCs(c.publicSignals)
  zkmlCircuit(build, c.plan, BigInt(c.modelTag), null)
  const r1cs = build.finish()
  assert.equal(r1cs.constraints.length, c.constraints)
  for (const x of calibration.slice(0, 3)) {
    const { witness, publicSignals } = executePlan(c.plan, BigInt(c.modelTag), quantizeInput(x, c.plan.input.scale, c.plan.input.zeroPoint))
    assert.equal(witness.length, r1cs.nWires)
    assert.equal(firstViolatedConstraint(r1cs, witness), -1)
    assert.equal(publicSignals[1], hashInputBytes(quantizeInput(x, c.plan.input.scale, c.plan.input.zeroPoint)))
    // A wrong output value breaks a constraint: the output is determined by the input.
    const bad = [...witness]
    bad[3] = (bad[3]! + 1n) % FIELD_MODULUS
    assert.notEqual(firstViolatedConstraint(r1cs, bad), -1)
  }
})

test('an MLP compiles to a small circuit whose cost is in requantization, not in the weights', async () => {
  const model = buildMlp({ name: 'm', sizes: [16, 32, 4], seed: 2 })
  const r = seededRandom(9)
  const c = await compileModel(model, { calibration: Array.from({ length: 30 }, () => Array.from({ length: 16 }, () => r() * 2 - 1)) })
  assert.equal(c.agreement.argmaxAgreement, 1)
  const gemm = c.costs.find((x) => x.node === 'h0')
  assert.equal(gemm?.constraints, 0, 'dense layers are linear combinations: no constraints')
  assert.ok(c.costs.find((x) => x.node === 'r0')!.constraints > 0)
  assert.equal(c.publicSignals, publicSignalCount(c.plan))
  assert.equal(c.plan.input.zeroPoint, 128, 'inputs with negatives quantize around 128')
})

test("outputs: 'hashed' commits to the outputs with one Poseidon signal", async () => {
  const model = buildMlp({ name: 'h', sizes: [8, 8, 5], seed: 4 })
  const r = seededRandom(1)
  const calibration = Array.from({ length: 10 }, () => Array.from({ length: 8 }, () => r()))
  const c = await compileModel(model, { calibration, outputs: 'hashed', compareWithOnnxRuntime: false })
  assert.equal(c.publicSignals, 3)
  assert.equal(c.plan.outputCommitment, 'poseidon')
  const build = new BuildCs(3)
  zkmlCircuit(build, c.plan, BigInt(c.modelTag), null)
  const bytes = quantizeInput(calibration[0]!, c.plan.input.scale, c.plan.input.zeroPoint)
  const { witness, publicSignals, outputs } = executePlan(c.plan, BigInt(c.modelTag), bytes)
  assert.equal(firstViolatedConstraint(build.finish(), witness), -1)
  assert.equal(outputs.length, 5)
  assert.equal(publicSignals[2], hashOutputValues(outputs))
  assert.notEqual(hashOutputValues([...outputs.slice(0, 4), outputs[4]! + 1n]), publicSignals[2])
})

test('a model too large for the limit fails before building, naming the power it needs', async () => {
  const model = buildMlp({ name: 'wide', sizes: [256, 512, 10], seed: 1 })
  await assert.rejects(compileModel(model, { calibration: [Array.from({ length: 256 }, () => 0.5)], maxPower: 12, compareWithOnnxRuntime: false }),
    (e: unknown) => e instanceof VerityError && e.code === 'CIRCUIT_TOO_LARGE' && /2\^1[3-9]/.test(e.message) && /maxPower/.test(e.message))
  // 120,000 input bytes alone need 1.08 M range-check constraints: past 2^20.
  const huge = buildMlp({ name: 'huge', sizes: [120_000, 2], seed: 1 })
  await assert.rejects(compileModel(huge, { calibration: [Array.from({ length: 120_000 }, () => 0.5)], compareWithOnnxRuntime: false }),
    (e: unknown) => e instanceof VerityError && e.code === 'CIRCUIT_TOO_LARGE' && /QUORUM or TEE/.test(e.message))
})

test('the verification path imports nothing Node-only (it must run in a browser bundle)', async () => {
  const { readFileSync } = await import('node:fs')
  for (const f of ['verify.ts', 'inputHash.ts']) {
    const src = readFileSync(new URL(`./${f}`, import.meta.url), 'utf8')
    const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]!)
    assert.deepEqual(imports.filter((i) => i.startsWith('node:') || (i.startsWith('.') && !['./inputHash.ts'].includes(i))), [], f)
  }
})

test('public API (snapshot)', async () => {
  const api = Object.keys(await import('./index.ts')).sort()
  assert.deepEqual(api, [
    'BuildCs', 'FIELD_MODULUS', 'WitnessCs', 'buildPlan', 'calibrate', 'checkSetupPolicy', 'compileModel', 'compileSolidityVerifier', 'createArtifacts', 'createProver',
    'dequantizeOutputs', 'estimateConstraints', 'executePlan', 'exportSolidityVerifier', 'firstViolatedConstraint', 'hashInputBytes', 'hashOutputValues', 'loadArtifacts', 'loadPtau',
    'modelTagForCid', 'modelTagFromDigest', 'packBytes', 'parseGraph', 'powerFor', 'preparePhase2ForPowers', 'proveInProcess', 'publicSignalCount', 'quantizeInput',
    'quantizeInputValues', 'readPlan', 'releaseZkResources', 'runCeremony', 'setupCircuit', 'startAnvil', 'supportedOperators', 'verifyProofCalldata', 'verifyZkInferenceResult', 'verifyZkResult', 'vkHash',
    'writeR1cs', 'writeWtns', 'zkProofHash', 'zkmlCircuit',
  ])
})

test('unsupported operators and shapes fail with the op, the node and the supported set', () => {
  const sig = buildModel({
    name: 's', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
    nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], name: 'head' }],
  })
  assert.throws(() => parseGraph(sig), (e: unknown) => e instanceof VerityError && e.code === 'UNSUPPORTED_OPERATOR' && /Softmax/.test(e.message) && /"head"/.test(e.message) && /Gemm, MatMul/.test(e.message) && Array.isArray(e.details.supported))
  const grouped = buildModel({
    name: 'g', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 4, 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1, 2, 4, 4] }],
    initializers: [floatTensor('k', [2, 1, 1, 1], [1, 1])],
    nodes: [{ op: 'Conv', inputs: ['x', 'k'], outputs: ['y'], attrs: { group: 2 } }],
  })
  assert.throws(() => parseGraph(grouped), (e: unknown) => e instanceof VerityError && e.code === 'UNSUPPORTED_OPERATOR' && /group=2/.test(e.message))
})

test('zkProofHash: keccak256(abi.encode(a, b, c, publicSignals)) as Settlement.zkProofHash (frozen vector)', () => {
  const proof = { pi_a: ['1', '2', '1'], pi_b: [['3', '4'], ['5', '6'], ['1', '0']], pi_c: ['7', '8', '1'], protocol: 'groth16' }
  assert.equal(zkProofHash(proof, ['9', '10']), '0x' + Buffer.from(keccak(proof)).toString('hex'))
  assert.equal(zkProofHash(proof, ['9', '10']), '0xce5f6cd0ba6e57aca3592ccb322abc771690d041d069daa555c5026433b19499')
  assert.notEqual(zkProofHash(proof, ['9', '11']), zkProofHash(proof, ['9', '10']))
  assert.throws(() => zkProofHash({ pi_a: ['x'] } as never, []), TypeError)
})

function keccak(_proof: unknown): Uint8Array {
  // Independent encoding: abi.encode(a, b with each G2 coordinate pair swapped, c, uint256[] pub):
  // the dynamic array is an offset word (9 head words = 0x120), then its length, then its elements.
  const words = [1, 2, 4, 3, 6, 5, 7, 8, 0x120, 2, 9, 10].map((v) => v.toString(16).padStart(64, '0')).join('')
  return keccak_256(Buffer.from(words, 'hex'))
}

test('setup policy: a node alone in a phase, or no trusted contributor, is rejected', () => {
  const manifest = {
    ceremony: { power: 10, contributions: [{ name: 'alice', hash: '' }, { name: 'node-1', hash: '' }], beacon: { hash: '', iterationsExp: 10, responseHash: '' }, ptauSha256: '', preparedPowers: [], preparedSha256: '', verified: true as const },
    phase2: { circuitSha256: '', ptauSha256: '', contributions: [{ name: 'node-1', hash: '' }], beacon: { hash: '', iterationsExp: 10, contributionHash: '' }, zkeySha256: '', verified: true as const },
  }
  assert.equal(checkSetupPolicy(manifest, { trustedContributors: ['alice'] }).ok, false)
  const alone = checkSetupPolicy(manifest, { trustedContributors: ['alice', 'node-1'], provingNode: 'node-1' })
  assert.equal(alone.ok, false)
  assert.match(alone.message, /alone/)
  manifest.phase2.contributions.push({ name: 'alice', hash: '' })
  assert.equal(checkSetupPolicy(manifest, { trustedContributors: ['alice'], provingNode: 'node-1' }).ok, true)
})
