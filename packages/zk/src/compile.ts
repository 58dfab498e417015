/**
 * `compileModel`: ONNX bytes + calibration samples → the circuit (R1CS), its integer plan, and a
 * report of per-layer scales, constraint costs and agreement with onnxruntime's float output.
 */
import { performance } from 'node:perf_hooks'
import { cidForBytes, parseCid, VerityError } from '@verity/protocol'
import { BuildCs, WitnessCs } from './cs.ts'
import { writeR1cs } from './formats.ts'
import { parseGraph, poolForEach } from './graph.ts'
import { buildPlan, calibrate, quantizeInput, type LayerReport, type Plan } from './plan.ts'
import { modelTagFromDigest, publicSignalCount, zkmlCircuit } from './circuit.ts'

export type CompileProgress = { stage: 'parse' | 'calibrate' | 'quantize' | 'constraints' | 'agreement'; done: number; total: number; message: string }

export type CompileModelParameters = {
  /** Calibration inputs (flat, row-major, the model's input shape). Also the agreement set. */
  calibration: ReadonlyArray<ArrayLike<number>>
  /** Extra inputs used only to measure agreement (defaults to the calibration set). */
  evaluation?: ReadonlyArray<ArrayLike<number>> | undefined
  onProgress?: ((p: CompileProgress) => void) | undefined
  /**
   * 'public' (default): every output integer is a public signal, readable by a contract.
   * 'hashed': one public signal, the Poseidon hash of the outputs (about 6,500 gas less per output).
   */
  outputs?: 'public' | 'hashed' | undefined
  /**
   * Largest Groth16 domain (power of two) to accept, default 20: beyond about 2^20 constraints
   * proving takes minutes and keys gigabytes, and QUORUM or TEE mode serve the model better.
   */
  maxPower?: number | undefined
  /** Compare with onnxruntime (default true when onnxruntime-node can be loaded). */
  compareWithOnnxRuntime?: boolean | undefined
}

export type Agreement = { samples: number; argmaxAgreement: number; maxAbsError: number; reference: 'onnxruntime' | 'float-graph' }

export type ZkCircuit = {
  cid: string
  modelTag: string
  plan: Plan
  r1cs: Uint8Array
  constraints: number
  wires: number
  publicSignals: number
  /** log2 of the smallest Groth16 domain that fits (powers of tau needed). */
  power: number
  costs: Array<{ node: string; constraints: number }>
  layers: LayerReport[]
  agreement: Agreement
  timings: { compileMs: number }
}

/** The power of tau a circuit needs: snarkjs' domain holds constraints + public signals + 1. */
export function powerFor(constraints: number, publicSignals: number): number {
  return Math.max(1, Math.ceil(Math.log2(constraints + publicSignals + 1)))
}

/** Integer reference output of the plan for one input (the witness's public outputs). */
/** Runs the integer reference executor (the circuit in witness mode) on quantized input bytes. */
export function executePlan(plan: Plan, modelTag: bigint, bytes: Uint8Array): { witness: bigint[]; publicSignals: bigint[]; outputs: bigint[] } {
  const w = new WitnessCs(publicSignalCount(plan))
  const outs = zkmlCircuit(w, plan, modelTag, bytes)
  return { witness: w.values, publicSignals: w.publicSignals(), outputs: outs.map((v) => w.int(v)) }
}

/** Output integers × their scales, one array per graph output. */
export function dequantizeOutputs(plan: Plan, outputs: readonly bigint[]): Float64Array[] {
  let p = 0
  return plan.outputs.map((o) => Float64Array.from(o.scales, (s) => Number(outputs[p++]!) * s))
}

export async function compileModel(onnx: Uint8Array, p: CompileModelParameters): Promise<ZkCircuit> {
  const t0 = performance.now()
  const progress = p.onProgress ?? (() => {})
  const cid = cidForBytes(onnx)
  progress({ stage: 'parse', done: 0, total: 1, message: `parsing ${cid}` })
  const g = parseGraph(onnx)
  const nIn = g.input.shape.reduce((a, b) => a * b, 1)
  if (p.calibration.length === 0) throw new VerityError('INVALID_INPUT', 'compileModel needs at least one calibration input.', { details: { input: g.input.name } })
  const samples = p.calibration.map((x, i) => {
    if (x.length !== nIn) throw new VerityError('INVALID_INPUT', `Calibration sample ${i} has ${x.length} values; input "${g.input.name}" [${g.input.shape}] needs ${nIn}.`, { details: { sample: i } })
    return Float64Array.from(x)
  })
  progress({ stage: 'calibrate', done: 0, total: samples.length, message: `calibrating on ${samples.length} samples` })
  const stats = calibrate(g, samples)
  progress({ stage: 'quantize', done: 0, total: 1, message: 'quantizing weights and activations' })
  const plan = buildPlan(g, stats, p.outputs === 'hashed' ? 'poseidon' : 'public')
  const modelTag = modelTagFromDigest(parseCid(cid).digest)
  const nPublic = publicSignalCount(plan)
  const estimate = estimateConstraints(plan)
  const maxPower = p.maxPower ?? 20
  if (powerFor(estimate, nPublic) > maxPower) {
    const needed = powerFor(estimate, nPublic)
    throw new VerityError('CIRCUIT_TOO_LARGE', `Model ${cid} needs about ${estimate.toLocaleString('en-US')} constraints (powers of tau 2^${needed}), above the limit 2^${maxPower}.${needed > 20 ? ' Beyond about 2^20 constraints, serve it in QUORUM or TEE mode.' : ` Raise maxPower and run a ceremony at power ${needed}.`}`, { details: { cid, constraints: estimate, needed, maxPower } })
  }
  progress({ stage: 'constraints', done: 0, total: 1, message: 'building constraints' })
  const cs = new BuildCs(nPublic)
  const costs = new Map<string, number>()
  zkmlCircuit(cs, plan, modelTag, null, costs)
  const r1cs = cs.finish()
  const r1csBytes = writeR1cs(r1cs)
  const constraints = r1cs.constraints.length
  if (constraints !== estimate) throw new VerityError('INTERNAL', `Constraint estimate ${estimate} differs from the circuit's ${constraints}.`, { details: { estimate, constraints } })
  progress({ stage: 'constraints', done: 1, total: 1, message: `${constraints} constraints, ${r1cs.nWires} wires` })

  const evaluation = (p.evaluation ?? p.calibration).map((x) => Float64Array.from(x))
  const agreement = await measureAgreement(onnx, plan, modelTag, evaluation, p.compareWithOnnxRuntime ?? true, progress)
  return {
    cid, modelTag: modelTag.toString(), plan, r1cs: r1csBytes, constraints, wires: r1cs.nWires, publicSignals: nPublic,
    power: powerFor(constraints, nPublic), costs: [...costs].map(([node, c]) => ({ node, constraints: c })),
    layers: plan.layers, agreement, timings: { compileMs: performance.now() - t0 },
  }
}

/** Constraint count of a plan's circuit without building it (exact; checked by the tests). */
export function estimateConstraints(plan: Plan): number {
  const nIn = plan.input.shape.reduce((a, b) => a * b, 1)
  const nOut = plan.outputs.reduce((n, o) => n + o.shape.reduce((a, b) => a * b, 1), 0)
  let n = 9 * nIn
  for (const op of plan.ops) {
    if (op.kind === 'requant') {
      for (let e = 0; e < op.K.length; e++) n += op.K[e]! + 1 + 1 + (op.leaky ? op.leaky.K[e]! + 1 + 1 : 0)
    } else if (op.kind === 'maxpool') {
      poolForEach(op, op.C, op.H, op.W, op.OH, op.OW, (_i, taps) => { n += (taps.length - 1) * (op.K + 2) })
    }
  }
  const hashes = (elements: number) => Math.ceil(elements / 15) * 612
  n += hashes(Math.ceil(nIn / 31))
  n += plan.outputCommitment === 'poseidon' ? hashes(nOut) + 3 : nOut + 2
  return n
}

const argmax = (v: ArrayLike<number>) => {
  let best = 0
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i
  return best
}

async function measureAgreement(onnx: Uint8Array, plan: Plan, tag: bigint, inputs: Float64Array[], useOrt: boolean, progress: (p: CompileProgress) => void): Promise<Agreement> {
  let run: ((x: Float64Array) => Promise<Float64Array>) | null = null
  let reference: Agreement['reference'] = 'float-graph'
  if (useOrt) {
    try {
      const ort = (await import('onnxruntime-node')).default
      const session = await ort.InferenceSession.create(onnx)
      const outName = plan.outputs[0]!.name
      run = async (x) => {
        const r = await session.run({ [plan.input.name]: new ort.Tensor('float32', Float32Array.from(x), plan.input.shape) })
        return Float64Array.from(r[outName]!.data as Float32Array)
      }
      reference = 'onnxruntime'
    } catch {
      run = null
    }
  }
  if (!run) {
    const g = parseGraph(onnx)
    const { runFloat } = await import('./graph.ts')
    run = async (x) => runFloat(g, x).get(plan.outputs[0]!.source)!
  }
  let agree = 0
  let maxErr = 0
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!
    const ref = await run(x)
    const { outputs } = executePlan(plan, tag, quantizeInput(x, plan.input.scale, plan.input.zeroPoint))
    const q = dequantizeOutputs(plan, outputs)[0]!
    if (argmax(q) === argmax(ref)) agree++
    for (let j = 0; j < q.length; j++) maxErr = Math.max(maxErr, Math.abs(q[j]! - ref[j]!))
    if (i % 10 === 9) progress({ stage: 'agreement', done: i + 1, total: inputs.length, message: `agreement ${agree}/${i + 1}` })
  }
  return { samples: inputs.length, argmaxAgreement: inputs.length ? agree / inputs.length : 1, maxAbsError: maxErr, reference }
}
