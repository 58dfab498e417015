/// <reference path="./vendor.d.ts" />
/**
 * Offline verification of a ZKML result, and the proof hash a receipt commits to. Browser-safe: no
 * Node-only imports on this path (snarkjs has a browser build; poseidon-lite and noble are plain JS).
 */
import * as snarkjs from 'snarkjs'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { canonicalJson, parseCid, tensorFromJson, type TensorMapJson } from '@verity/protocol'
import { hashInputBytes, hashOutputValues } from './inputHash.ts'

const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n

export type Groth16Proof = { pi_a: string[]; pi_b: string[][]; pi_c: string[]; protocol?: string; curve?: string }

/** What a verifier needs for one model: the Groth16 key and how inputs/outputs map to signals. */
export type ZkVerifierKey = {
  version: 1
  cid: string
  modelTag: string
  /** snarkjs verification key JSON. */
  vk: Record<string, unknown>
  /** 0x sha2-256 of canonicalJson(vk). */
  vkHash: string
  input: { name: string; shape: number[]; scale: number; zeroPoint: number }
  outputs: Array<{ name: string; shape: number[]; scales: number[]; dtype: 'int32' | 'int64' }>
  /** 'public': signals 2… are the outputs; 'poseidon': signal 2 is their hash (inputHash.ts). */
  outputCommitment: 'public' | 'poseidon'
}

export type ZkCheckId = 'format' | 'model' | 'vk' | 'input' | 'output' | 'proof'
export type ZkCheck = { check: ZkCheckId; ok: boolean; message: string }

const hex = (b: Uint8Array) => `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`

export function vkHash(vk: unknown): string {
  return hex(sha256(new TextEncoder().encode(canonicalJson(vk as never))))
}

export function modelTagForCid(cid: string): bigint {
  return BigInt(hex(parseCid(cid).digest)) >> 3n
}

/** Quantizes a float input exactly as the circuit's input hash expects. */
export function quantizeInputValues(x: ArrayLike<number>, scale: number, zeroPoint: number): Uint8Array {
  const out = new Uint8Array(x.length)
  for (let i = 0; i < x.length; i++) {
    const q = Math.round(x[i]! / scale) + zeroPoint
    out[i] = Number.isNaN(q) ? zeroPoint : Math.min(255, Math.max(0, q))
  }
  return out
}

const isField = (s: unknown): s is string => typeof s === 'string' && /^\d{1,78}$/.test(s) && BigInt(s) < P

function assertProof(proof: unknown): asserts proof is Groth16Proof {
  const p = proof as Groth16Proof
  const ok = p !== null && typeof p === 'object' && Array.isArray(p.pi_a) && Array.isArray(p.pi_b) && Array.isArray(p.pi_c) &&
    p.pi_a.length >= 2 && p.pi_c.length >= 2 && p.pi_b.length >= 2 && p.pi_b.slice(0, 2).every((r) => Array.isArray(r) && r.length >= 2 && r.slice(0, 2).every(isField)) &&
    p.pi_a.slice(0, 2).every(isField) && p.pi_c.slice(0, 2).every(isField)
  if (!ok) throw new TypeError('proof must be a snarkjs Groth16 proof {pi_a, pi_b, pi_c} of decimal field elements')
}

/**
 * proofHash, specified once and equal to the contracts' `Settlement.zkProofHash` (and
 * `@verity/chain` zkProofHash): keccak256(abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c,
 * uint256[] publicSignals)) with a, b, c as a Solidity verifier receives them (b's G2 coordinates
 * swapped). As 32-byte big-endian words:
 *
 *   a.x, a.y, b.x.c1, b.x.c0, b.y.c1, b.y.c0, c.x, c.y, 0x120 (offset of the dynamic array), n, pub[0], …, pub[n-1]
 */
export function zkProofHash(proof: Groth16Proof, publicSignals: readonly string[]): `0x${string}` {
  assertProof(proof)
  if (!publicSignals.every(isField)) throw new TypeError('publicSignals must be decimal field elements')
  const words = [
    proof.pi_a[0], proof.pi_a[1], proof.pi_b[0]![1], proof.pi_b[0]![0], proof.pi_b[1]![1], proof.pi_b[1]![0], proof.pi_c[0], proof.pi_c[1],
    String(9 * 32), String(publicSignals.length), ...publicSignals,
  ]
  const bytes = new Uint8Array(32 * words.length)
  words.forEach((w, i) => {
    let v = BigInt(w!)
    for (let j = 31; j >= 0; j--) {
      bytes[i * 32 + j] = Number(v & 0xffn)
      v >>= 8n
    }
  })
  return hex(keccak_256(bytes)) as `0x${string}`
}

export type VerifyZkResultParameters = {
  vk: ZkVerifierKey
  /** The model the result claims (CID); defaults to vk.cid. */
  model?: string | undefined
  /** Accept only this verification key hash (e.g. the one stored with the model release). */
  expectedVkHash?: string | undefined
  input: TensorMapJson
  output: TensorMapJson
  proof: unknown
  publicSignals: unknown
}

const short = (s: string) => (s.length > 20 ? `${s.slice(0, 10)}…${s.slice(-6)}` : s)

/** Runs every check; never throws on a bad result, reports it. */
export async function verifyZkResult(p: VerifyZkResultParameters): Promise<{ ok: boolean; checks: ZkCheck[] }> {
  const checks: ZkCheck[] = []
  const done = () => ({ ok: checks.every((c) => c.ok), checks })
  const vk = p.vk
  try {
    assertProof(p.proof)
    if (!Array.isArray(p.publicSignals) || !p.publicSignals.every(isField)) throw new TypeError('publicSignals must be an array of decimal field elements')
    const expected = vk.outputCommitment === 'poseidon' ? 3 : 2 + vk.outputs.reduce((n, o) => n + o.shape.reduce((a, b) => a * b, 1), 0)
    if (p.publicSignals.length !== expected) throw new TypeError(`expected ${expected} public signals, got ${p.publicSignals.length}`)
    checks.push({ check: 'format', ok: true, message: 'The proof and public signals are well-formed Groth16 data.' })
  } catch (error) {
    checks.push({ check: 'format', ok: false, message: `The proof is corrupt or malformed: ${(error as Error).message}.` })
    return done()
  }
  const signals = p.publicSignals as string[]
  const model = p.model ?? vk.cid

  let tag: bigint | null = null
  try {
    tag = modelTagForCid(model)
  } catch {
    tag = null
  }
  const modelOk = tag !== null && model === vk.cid && BigInt(vk.modelTag) === tag && BigInt(signals[0]!) === tag
  checks.push({
    check: 'model', ok: modelOk,
    message: modelOk
      ? `The proof is for model ${model}: its model tag matches the CID.`
      : model !== vk.cid
        ? `The result claims model ${model}, but the verification key is for ${vk.cid}.`
        : `The proof's model tag ${short(signals[0]!)} does not match model ${model}.`,
  })

  const actualVkHash = vkHash(vk.vk)
  const vkOk = actualVkHash === vk.vkHash && (p.expectedVkHash === undefined || p.expectedVkHash === actualVkHash)
  checks.push({
    check: 'vk', ok: vkOk,
    message: vkOk
      ? `The verification key hashes to ${short(actualVkHash)}${p.expectedVkHash ? ', the one stored with the model release' : ''}.`
      : `The verification key hashes to ${short(actualVkHash)}, but ${short(p.expectedVkHash ?? vk.vkHash)} was expected: it is not the key of this model release.`,
  })

  let inputHash: bigint | null = null
  let inputProblem = ''
  try {
    const t = p.input[vk.input.name]
    if (!t) throw new Error(`no input tensor "${vk.input.name}"`)
    const n = vk.input.shape.reduce((a, b) => a * b, 1)
    const tensor = tensorFromJson(t, vk.input.name)
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'float64') throw new Error(`input "${vk.input.name}" must be float32, got ${tensor.dtype}`)
    const data = tensor.data
    if (data.length !== n) throw new Error(`input "${vk.input.name}" has ${data.length} values, the circuit takes ${n}`)
    inputHash = hashInputBytes(quantizeInputValues(data, vk.input.scale, vk.input.zeroPoint))
  } catch (error) {
    inputProblem = (error as Error).message
  }
  const inputOk = inputHash !== null && inputHash === BigInt(signals[1]!)
  checks.push({
    check: 'input', ok: inputOk,
    message: inputOk
      ? `The input quantizes to bytes whose Poseidon hash ${short(String(inputHash))} is the one the proof commits to.`
      : inputHash === null
        ? `The input cannot be read: ${inputProblem}.`
        : `The input hashes to ${short(String(inputHash))}, but the proof commits to ${short(signals[1]!)}: the input was changed.`,
  })

  let outputProblem = ''
  let outputOk = true
  const values: bigint[] = []
  for (const o of vk.outputs) {
    const n = o.shape.reduce((a, b) => a * b, 1)
    let data: ArrayLike<number | bigint>
    try {
      const t = p.output[o.name]
      if (!t) throw new Error('missing')
      data = tensorFromJson(t, `output "${o.name}"`).data as ArrayLike<number | bigint>
    } catch (error) {
      outputOk = false
      outputProblem = `output "${o.name}" is missing or unreadable (${(error as Error).message})`
      break
    }
    if (data.length !== n) {
      outputOk = false
      outputProblem = `output "${o.name}" has ${data.length} values, the circuit has ${n}`
      break
    }
    for (let i = 0; i < n && outputOk; i++) {
      const raw = data[i]!
      if (typeof raw !== 'bigint' && !Number.isSafeInteger(raw)) {
        outputOk = false
        outputProblem = `output "${o.name}"[${i}] = ${JSON.stringify(raw)} is not an integer`
      } else values.push(BigInt(raw))
    }
    if (!outputOk) break
  }
  if (outputOk && vk.outputCommitment === 'poseidon') {
    const h = hashOutputValues(values)
    if (h !== BigInt(signals[2]!)) {
      outputOk = false
      outputProblem = `the outputs hash to ${short(String(h))}, but the proof commits to ${short(signals[2]!)}`
    }
  } else if (outputOk) {
    for (let i = 0; i < values.length; i++) {
      const field = ((values[i]! % P) + P) % P
      if (field !== BigInt(signals[2 + i]!)) {
        const claimed = BigInt(signals[2 + i]!)
        outputOk = false
        outputProblem = `output value ${i} is ${values[i]}, but the proof says ${claimed > P / 2n ? claimed - P : claimed}`
        break
      }
    }
  }
  checks.push({
    check: 'output', ok: outputOk,
    message: outputOk ? 'Every output value is exactly the one the proof commits to.' : `The output differs from what was proven: ${outputProblem}.`,
  })

  let proofOk = false
  let proofProblem = ''
  try {
    proofOk = await snarkjs.groth16.verify(vk.vk, signals, p.proof)
  } catch (error) {
    proofProblem = (error as Error).message
  }
  checks.push({
    check: 'proof', ok: proofOk,
    message: proofOk
      ? `The proof shows that model ${model}, run on the input whose hash is ${short(signals[1]!)}, produced exactly this output (Groth16 pairing check passed).`
      : `The Groth16 proof does not verify against this verification key${proofProblem ? ` (${proofProblem})` : ''}: the proof, the public signals or the key were altered.`,
  })
  return done()
}

/** The `proof` field of a ZKML InferenceResult (protocol result.ts). */
export type ZkResultProof = {
  system: 'groth16-bn254'
  proof: Groth16Proof
  publicSignals: string[]
  /** sha2-256 of the verification key the node proved with (must match the model release's). */
  vkHash: string
}

/**
 * Checks the ZKML part of an InferenceResult: the receipt's proofHash commits to this proof and
 * these signals, and `verifyZkResult` passes. Returns one CheckOutcome-shaped summary plus details.
 */
export async function verifyZkInferenceResult(
  result: { model: string; input: TensorMapJson; output: TensorMapJson; receipt: { mode: string; proofHash: string }; proof?: unknown },
  vk: ZkVerifierKey,
): Promise<{ check: 'mode'; ok: boolean; message: string; checks: ZkCheck[] }> {
  const p = result.proof as ZkResultProof | undefined
  if (result.receipt.mode !== 'ZKML' || !p || p.system !== 'groth16-bn254') {
    return { check: 'mode', ok: false, message: 'The result is not a ZKML result with a Groth16 proof attached.', checks: [] }
  }
  let hash = ''
  try {
    hash = zkProofHash(p.proof, p.publicSignals)
  } catch (error) {
    return { check: 'mode', ok: false, message: `The attached proof is malformed: ${(error as Error).message}.`, checks: [] }
  }
  if (hash !== result.receipt.proofHash) {
    return { check: 'mode', ok: false, message: `The receipt's proof hash ${short(result.receipt.proofHash)} does not commit to the attached proof (${short(hash)}).`, checks: [] }
  }
  const v = await verifyZkResult({ vk, model: result.model, expectedVkHash: p.vkHash === vk.vkHash ? undefined : p.vkHash, input: result.input, output: result.output, proof: p.proof, publicSignals: p.publicSignals })
  const failed = v.checks.filter((c) => !c.ok)
  return {
    check: 'mode', ok: v.ok, checks: v.checks,
    message: v.ok ? `Mode ZKML: ${v.checks.at(-1)!.message}` : `Mode ZKML: ${failed.map((c) => c.message).join(' ')}`,
  }
}
