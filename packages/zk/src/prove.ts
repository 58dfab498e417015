/// <reference path="./vendor.d.ts" />
/**
 * Proving: the integer reference executor computes the witness (and so the output), snarkjs Groth16
 * proves it. `createProver` runs proofs in worker processes so a node never blocks other requests, and
 * each worker caches plans and proving keys per artifact directory. (Processes rather than
 * worker_threads: ffjavascript's own thread pool, which the multi-exponentiations use, only starts
 * from a main thread.)
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as snarkjs from 'snarkjs'
import { VerityError, tensorFromJson, type TensorMapJson } from '@verity/protocol'
import { executePlan } from './compile.ts'
import { writeWtns } from './formats.ts'
import { quantizeInput, type Plan } from './plan.ts'
import { loadArtifacts, readPlan, type ZkArtifacts } from './artifacts.ts'
import type { Groth16Proof } from './verify.ts'

export type ZkProveResult = {
  /** The proven output: integers, exactly the public signals (negative values as negative numbers). */
  output: TensorMapJson
  /** output × scale per element (float32): the proven output in the model's units. */
  dequantized: TensorMapJson
  proof: Groth16Proof
  publicSignals: string[]
  timings: { witnessMs: number; proveMs: number; totalMs: number }
}

const cache = new Map<string, { plan: Plan; zkey: Uint8Array }>()

function loaded(dir: string): { artifacts: ZkArtifacts; plan: Plan; zkey: Uint8Array } {
  const artifacts = loadArtifacts(dir)
  let c = cache.get(dir)
  if (!c) {
    c = { plan: readPlan(artifacts), zkey: new Uint8Array(readFileSync(join(dir, artifacts.manifest.files.zkey))) }
    cache.set(dir, c)
  }
  return { artifacts, ...c }
}

function flatInput(plan: Plan, input: TensorMapJson | ArrayLike<number>): number[] {
  const n = plan.input.shape.reduce((a, b) => a * b, 1)
  let data: ArrayLike<unknown>
  if (typeof (input as ArrayLike<number>).length === 'number') data = input as ArrayLike<number>
  else {
    const t = (input as TensorMapJson)[plan.input.name]
    if (!t) throw new VerityError('INVALID_INPUT', `The model's input is "${plan.input.name}"; got ${Object.keys(input).join(', ') || 'no tensors'}.`, { details: { input: plan.input.name } })
    const tensor = tensorFromJson(t, plan.input.name)
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'float64') throw new VerityError('INVALID_INPUT', `Input "${plan.input.name}" must be float32, got ${tensor.dtype}.`, { details: { input: plan.input.name } })
    data = tensor.data
  }
  if (data.length !== n) throw new VerityError('INVALID_INPUT', `Input "${plan.input.name}" needs ${n} values (shape [${plan.input.shape}]), got ${data.length}.`, { details: { input: plan.input.name, expected: n, got: data.length } })
  return Array.from(data, (v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new VerityError('INVALID_INPUT', `Input "${plan.input.name}" element ${i} is ${JSON.stringify(v)}; ZKML needs finite numbers.`, { details: { input: plan.input.name, index: i } })
    return v
  })
}

/** Proves one inference in this thread. */
export async function proveInProcess(dir: string, input: TensorMapJson | ArrayLike<number>): Promise<ZkProveResult> {
  const t0 = performance.now()
  const { artifacts, plan, zkey } = loaded(dir)
  const x = flatInput(plan, input)
  const bytes = quantizeInput(x, plan.input.scale, plan.input.zeroPoint)
  const { witness, publicSignals, outputs } = executePlan(plan, BigInt(artifacts.manifest.modelTag), bytes)
  const wtns = writeWtns(witness)
  const t1 = performance.now()
  const { proof, publicSignals: signals } = await snarkjs.groth16.prove({ type: 'mem', data: zkey } as never, { type: 'mem', data: wtns } as never)
  const t2 = performance.now()
  if (signals.length !== publicSignals.length || signals.some((s, i) => BigInt(s) !== publicSignals[i])) {
    throw new VerityError('INTERNAL', 'The prover produced public signals that differ from the witness.', { details: {} })
  }
  const output: TensorMapJson = {}
  const dequantized: TensorMapJson = {}
  let s = 0
  for (const o of plan.outputs) {
    const ints = o.scales.map(() => outputs[s++]!)
    output[o.name] = { dtype: o.dtype, shape: o.shape, data: ints.map((v) => (o.dtype === 'int64' ? v.toString() : Number(v))) }
    dequantized[o.name] = { dtype: 'float32', shape: o.shape, data: ints.map((v, i) => Math.fround(Number(v) * o.scales[i]!)) }
  }
  return { output, dequantized, proof: proof as Groth16Proof, publicSignals: signals, timings: { witnessMs: t1 - t0, proveMs: t2 - t1, totalMs: t2 - t0 } }
}

export type Prover = {
  prove(artifacts: ZkArtifacts | string, input: TensorMapJson | ArrayLike<number>): Promise<ZkProveResult>
  close(): Promise<void>
}

/** A pool of `workers` proving processes (default 1); requests queue when all are busy. */
export function createProver(options: { workers?: number } = {}): Prover {
  const size = Math.max(1, options.workers ?? 1)
  type Job = { id: number; dir: string; input: unknown; resolve: (r: ZkProveResult) => void; reject: (e: unknown) => void }
  type Reply = { id: number; ok: boolean; result?: ZkProveResult; error?: { code?: string; message: string; details?: Record<string, unknown> } }
  const queue: Job[] = []
  const idle: ChildProcess[] = []
  const running = new Map<ChildProcess, Job>()
  let nextId = 0
  let closed = false
  const pump = () => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!
      const job = queue.shift()!
      running.set(w, job)
      w.send({ id: job.id, dir: job.dir, input: job.input })
    }
  }
  const script = fileURLToPath(new URL('./proverWorker.ts', import.meta.url))
  const workers = Array.from({ length: size }, () => {
    const w = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
    w.on('message', (m: Reply) => {
      const job = running.get(w)
      running.delete(w)
      idle.push(w)
      if (job) {
        if (m.ok) job.resolve(m.result!)
        else job.reject(m.error?.code ? new VerityError(m.error.code as never, m.error.message, { details: m.error.details }) : new Error(m.error?.message))
      }
      pump()
    })
    w.on('exit', (code) => {
      const job = running.get(w)
      running.delete(w)
      if (job && !closed) job.reject(new VerityError('INTERNAL', `The proving process exited (code ${code}) while proving.`, { details: {} }))
    })
    idle.push(w)
    return w
  })
  return {
    prove(artifacts, input) {
      if (closed) return Promise.reject(new Error('prover is closed'))
      const dir = typeof artifacts === 'string' ? artifacts : artifacts.dir
      const plain = typeof (input as ArrayLike<number>).length === 'number' ? Array.from(input as ArrayLike<number>) : input
      return new Promise<ZkProveResult>((resolve, reject) => {
        queue.push({ id: nextId++, dir, input: plain, resolve, reject })
        pump()
      })
    },
    async close() {
      closed = true
      for (const job of queue.splice(0)) job.reject(new Error('prover closed'))
      await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
        if (w.exitCode !== null || w.signalCode !== null) return resolve()
        w.once('exit', () => resolve())
        w.kill()
      })))
    },
  }
}
