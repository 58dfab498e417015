/**
 * The runtime: a pool of onnxruntime workers behind one queue. See index.ts for the public contract
 * and README.md for the design (routing, timeouts, crash recovery, isolation modes).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { ModelDescription } from '@verity/onnx'
import { VerityError, type TensorMap } from '@verity/protocol'
import type { FromWorker, ToWorker, WorkerConfig, WorkerTimings } from './_messages.ts'
import { transferable } from './convert.ts'
import { SESSION_BYTES_FACTOR } from './determinism.ts'
import { LruCache } from './lruCache.ts'
import { checkInputs, type InputLimits } from './prepareInputs.ts'

/**
 * Where a worker runs.
 * - 'thread': worker_threads; tensors move by ArrayBuffer transfer (no copy). A timed-out run cannot be
 *   interrupted inside onnxruntime (terminating a thread mid-run aborts the whole process), so the
 *   worker is retired: the caller gets TIMEOUT at once, a fresh worker takes its place, and the old one
 *   exits as soon as its run returns. A crash in JavaScript (e.g. heap exhausted while converting
 *   tensors) is recovered; a crash inside native code takes the process down.
 * - 'process': child processes; tensors are copied over IPC. A timed-out worker is killed at once
 *   (SIGKILL) and any crash, native ones included, fails only its request.
 */
export type Isolation = 'thread' | 'process'

export type CreateRuntimeParameters = {
  /** Returns a model's ONNX bytes by CID (from the node's blob store). Called only when a worker needs them. */
  loadModel: (cid: string) => Promise<Uint8Array>
  /** Worker count. Default: the number of cores (os.availableParallelism()). */
  workers?: number
  /** Default 'thread'. See Isolation. */
  isolation?: Isolation
  /** Session cache budget per worker, in bytes (charged model size × SESSION_BYTES_FACTOR). Default 1 GiB. */
  cacheBytes?: number
  /** Timeout of a request (describe + queue + run) when `run` is given none. Default 30,000 ms. */
  defaultTimeoutMs?: number
  /** Requests that may wait for a worker; past that `run` rejects with OVERLOADED. Default 64 per worker. */
  maxQueue?: number
  /** Input limits and NaN policy applied by `run` (see prepareInputs). */
  inputLimits?: InputLimits
  /** V8 heap limit per worker in MiB (onnxruntime's own memory is outside it). Default: Node's default. */
  workerHeapMb?: number
  /** Most retired threads (timed out, still finishing a run) before replacements wait for them to exit. Default: `workers`. */
  maxRetiring?: number
  /** Model descriptions kept on the main thread (LRU by count). Default 10,000. */
  maxDescriptions?: number
}

export type RunParameters = {
  /** The model's CID. */
  cid: string
  /**
   * Typed input tensors (e.g. from prepareInputs). With isolation 'thread' their ArrayBuffers are
   * transferred to the worker: the caller's arrays are detached after the call.
   */
  inputs: TensorMap
  /** Overrides the runtime's defaultTimeoutMs for this request. */
  timeoutMs?: number
}

export type RunTimings = {
  /** From the call to the result. */
  totalMs: number
  /** Waiting for a free worker. */
  queueMs: number
  /** Fetching model bytes with loadModel (0 when the worker already held the session). */
  fetchMs: number
  /** Creating the onnxruntime session (0 when cached). */
  sessionMs: number
  /** InferenceSession.run inside the worker. */
  runMs: number
  /** Converting tensors to and from onnxruntime inside the worker. */
  convertMs: number
}

export type RunReturnType = {
  outputs: TensorMap
  timings: RunTimings
  /** Id of the worker that ran it. */
  worker: number
  /** True when the session was already cached in that worker. */
  warm: boolean
}

export type WorkerStats = {
  id: number
  state: 'starting' | 'idle' | 'busy'
  /** CIDs whose sessions this worker holds. */
  models: string[]
  cacheBytes: number
  jobs: number
}

export type RuntimeStats = {
  isolation: Isolation
  workers: WorkerStats[]
  /** Timed-out thread workers still finishing a run. */
  retiring: number
  queued: number
  maxQueue: number
  descriptionsCached: number
  totals: {
    runs: number
    failed: number
    timeouts: number
    crashes: number
    overloaded: number
    sessionsCreated: number
    sessionsEvicted: number
  }
}

export type Runtime = {
  /**
   * Runs a model. The inputs are checked against the model's declared inputs first (INVALID_INPUT,
   * INPUT_TOO_LARGE, UNSUPPORTED_MODEL); then the request waits for a worker, preferring one that
   * holds the model's session.
   * @throws VerityError TIMEOUT, OVERLOADED, RUNTIME_ERROR, INVALID_MODEL_FILE, or whatever loadModel threw.
   */
  run: (parameters: RunParameters) => Promise<RunReturnType>
  /** The model's description (inputs, outputs, operators), cached by CID. */
  describe: (cid: string) => Promise<ModelDescription>
  /** Describes the model and creates its session in a worker, so the first run is fast. */
  warm: (cid: string) => Promise<ModelDescription>
  stats: () => RuntimeStats
  /** Rejects waiting requests, lets running ones finish, then stops every worker. */
  close: () => Promise<void>
}

type JobSpec =
  | { kind: 'load'; cid: string; session: boolean }
  | { kind: 'run'; cid: string; inputs: TensorMap; transfer: ArrayBuffer[] }

type Reply = Extract<FromWorker, { type: 'loaded' | 'result' }>
type Done = { reply: Reply; job: Job }

type Job = JobSpec & {
  timeoutMs: number
  enqueuedAt: number
  startedAt: number
  fetchMs: number
  phase: 'queued' | 'fetching' | 'sent'
  settled: boolean
  timer: NodeJS.Timeout
  slot: Slot | undefined
  warm: boolean
  resolve: (done: Done) => void
  reject: (error: unknown) => void
}

type Handle = { post: (message: ToWorker, transfer: ArrayBuffer[]) => void; stop: () => void }

type Slot = {
  id: number
  handle: Handle
  state: 'starting' | 'idle' | 'busy' | 'retiring' | 'stopped'
  models: Set<string>
  cacheBytes: number
  jobs: number
  job: Job | undefined
  exited: Promise<void>
}

/** How long the oldest request may be passed over in favour of one whose session a free worker holds. */
const AFFINITY_WAIT_MS = 50
/** How far down the queue a free worker looks for a request whose session it holds. */
const AFFINITY_WINDOW = 16
/** Consecutive worker start failures after which the runtime gives up (and says why). */
const MAX_START_FAILURES = 3

const workerUrl = new URL('./_worker.ts', import.meta.url)

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`)
  return value
}

function spawnHandle(isolation: Isolation, config: WorkerConfig, heapMb: number | undefined, onMessage: (m: FromWorker) => void, onExit: (detail: string) => void): Handle {
  if (isolation === 'thread') {
    const worker = new Worker(workerUrl, {
      workerData: config,
      ...(heapMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: heapMb } }),
    })
    let failure = ''
    worker.on('message', onMessage)
    worker.on('error', (error: Error & { code?: string }) => { failure = `${error.code ? `${error.code}: ` : ''}${error.message}` })
    worker.on('exit', (code) => onExit(failure || `exit code ${code}`))
    return { post: (m, transfer) => worker.postMessage(m, transfer), stop: () => void worker.terminate() }
  }
  const child: ChildProcess = fork(fileURLToPath(workerUrl), [], {
    serialization: 'advanced',
    execArgv: heapMb === undefined ? [] : [`--max-old-space-size=${heapMb}`],
    env: { ...process.env, VERITY_RUNTIME_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  })
  // Keep the end of the child's stderr: a V8 or onnxruntime abort explains itself there.
  let stderrTail = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderrTail = (stderrTail + chunk).slice(-4096) })
  child.on('message', (m) => onMessage(m as FromWorker))
  child.on('error', () => { /* reported through 'exit' */ })
  child.on('exit', (code, signal) => {
    const reason = /FATAL ERROR: [^\n]*|terminate called[^\n]*/.exec(stderrTail)?.[0]
    onExit(`${signal ? `killed by ${signal}` : `exit code ${code}`}${reason ? `: ${reason}` : ''}`)
  })
  return {
    post: (m) => { child.send(m) },
    stop: () => { child.kill('SIGKILL') },
  }
}

/**
 * Starts a pool of onnxruntime workers. See the `Runtime` type for what it offers, and the package
 * README for the determinism settings every session uses.
 *
 * @example
 * import { createRuntime, prepareInputs } from '@verity/runtime'
 * const runtime = createRuntime({ loadModel: (cid) => blobs.get(cid) })
 * const inputs = prepareInputs(await runtime.describe(cid), { input: [[0.5, -1.25, 3, 0.125]] })
 * const { outputs, timings } = await runtime.run({ cid, inputs, timeoutMs: 5_000 })
 * await runtime.close()
 */
export function createRuntime(parameters: CreateRuntimeParameters): Runtime {
  const workerCount = positiveInteger(parameters.workers, availableParallelism(), 'workers')
  const isolation: Isolation = parameters.isolation ?? 'thread'
  if (isolation !== 'thread' && isolation !== 'process') throw new RangeError(`isolation must be 'thread' or 'process', got ${String(isolation)}`)
  const cacheBytes = parameters.cacheBytes ?? 1024 * 1024 * 1024
  if (!(cacheBytes >= 0)) throw new RangeError(`cacheBytes must be a non-negative number, got ${cacheBytes}`)
  const defaultTimeoutMs = positiveInteger(parameters.defaultTimeoutMs, 30_000, 'defaultTimeoutMs')
  const maxQueue = positiveInteger(parameters.maxQueue, 64 * workerCount, 'maxQueue')
  const maxRetiring = positiveInteger(parameters.maxRetiring, workerCount, 'maxRetiring')
  const config: WorkerConfig = { cacheBytes, sessionBytesFactor: SESSION_BYTES_FACTOR }
  const { loadModel, inputLimits, workerHeapMb } = parameters

  const slots: Slot[] = []
  const retiring = new Set<Slot>()
  const queue: Job[] = []
  const descriptions = new LruCache<ModelDescription>(positiveInteger(parameters.maxDescriptions, 10_000, 'maxDescriptions'))
  const describing = new Map<string, Promise<ModelDescription>>()
  const fetching = new Map<string, Promise<Uint8Array>>()
  const totals = { runs: 0, failed: 0, timeouts: 0, crashes: 0, overloaded: 0, sessionsCreated: 0, sessionsEvicted: 0 }
  let nextSlotId = 1
  let pendingSpawns = 0
  let startFailures = 0
  let broken: VerityError | undefined
  let closed = false
  let closing: Promise<void> | undefined
  let wake: (() => void) | undefined

  const notify = () => { wake?.() }

  function spawn(): void {
    let exitResolve!: () => void
    const slot: Slot = {
      id: nextSlotId++, handle: undefined as unknown as Handle, state: 'starting', models: new Set(), cacheBytes: 0, jobs: 0, job: undefined,
      exited: new Promise<void>((r) => { exitResolve = r }),
    }
    slot.handle = spawnHandle(isolation, config, workerHeapMb, (m) => onMessage(slot, m), (detail) => { onExit(slot, detail); exitResolve() })
    slots.push(slot)
  }

  function removeSlot(slot: Slot): void {
    const i = slots.indexOf(slot)
    if (i >= 0) slots.splice(i, 1)
  }

  function replace(slot: Slot): void {
    removeSlot(slot)
    if (closed) return
    if (retiring.size > maxRetiring) pendingSpawns++
    else spawn()
  }

  function settle(job: Job, outcome: { reply: Reply } | { error: unknown }): void {
    if (job.settled) return
    job.settled = true
    clearTimeout(job.timer)
    if ('reply' in outcome) job.resolve({ reply: outcome.reply, job })
    else {
      if (job.kind === 'run') totals.failed++
      job.reject(outcome.error)
    }
  }

  function onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === 'ready') {
      startFailures = 0
      if (slot.state === 'starting') slot.state = 'idle'
      pump()
      notify()
      return
    }
    if (slot.state === 'retiring') {
      // Its run has returned to JavaScript, so terminating the thread is safe now.
      slot.handle.stop()
      return
    }
    const job = slot.job
    for (const cid of message.evicted) slot.models.delete(cid)
    totals.sessionsEvicted += message.evicted.length
    if (job !== undefined) {
      if (message.holds && !slot.models.has(job.cid)) {
        slot.models.add(job.cid)
        totals.sessionsCreated++
      }
      if (!message.holds) slot.models.delete(job.cid)
    }
    slot.cacheBytes = message.cacheBytes
    slot.job = undefined
    slot.state = 'idle'
    slot.jobs++
    if (job !== undefined) {
      if (message.type === 'error') settle(job, { error: new VerityError(message.error.code, message.error.message, { details: message.error.details }) })
      else settle(job, { reply: message })
    }
    pump()
    notify()
  }

  function onExit(slot: Slot, detail: string): void {
    const state = slot.state
    slot.state = 'stopped'
    if (retiring.delete(slot)) {
      if (pendingSpawns > 0 && !closed) {
        pendingSpawns--
        spawn()
      }
      notify()
      return
    }
    if (!slots.includes(slot)) return notify() // stopped on purpose (timeout kill or close)
    removeSlot(slot)
    if (closed) return notify()
    totals.crashes++
    const job = slot.job
    if (job !== undefined) {
      settle(job, {
        error: new VerityError('RUNTIME_ERROR', `The worker running model ${job.cid} crashed (${detail}); the request failed and the worker was replaced.`, {
          details: { cid: job.cid, worker: slot.id, exit: detail },
        }),
      })
    }
    if (state === 'starting' && ++startFailures >= MAX_START_FAILURES) {
      broken = new VerityError('INTERNAL', `Runtime workers fail to start (${detail}); the runtime stopped starting new ones.`, { details: { exit: detail } })
      for (const queued of queue.splice(0)) settle(queued, { error: broken })
    } else spawn()
    pump()
    notify()
  }

  function onTimeout(job: Job): void {
    const timeoutMs = job.timeoutMs
    if (job.settled) return
    totals.timeouts++
    settle(job, {
      error: new VerityError('TIMEOUT', `Model ${job.cid} did not finish within ${timeoutMs} ms.`, {
        details: { cid: job.cid, timeoutMs, phase: job.phase },
      }),
    })
    if (job.phase === 'queued') {
      const i = queue.indexOf(job)
      if (i >= 0) queue.splice(i, 1)
      return
    }
    const slot = job.slot!
    // While the model bytes are still being fetched nothing runs yet: start() frees the worker.
    if (job.phase !== 'sent' || slot.job !== job) return
    slot.job = undefined
    if (isolation === 'thread') {
      slot.state = 'retiring'
      retiring.add(slot)
    } else {
      slot.state = 'stopped'
      slot.handle.stop()
    }
    replace(slot)
    pump()
  }

  function fetchModel(cid: string): Promise<Uint8Array> {
    let pending = fetching.get(cid)
    if (pending === undefined) {
      pending = (async () => {
        try {
          const bytes = await loadModel(cid)
          if (!(bytes instanceof Uint8Array)) throw new TypeError(`loadModel(${cid}) returned ${typeof bytes}, expected a Uint8Array`)
          return bytes
        } catch (error) {
          if (error instanceof VerityError) throw error
          throw new VerityError('INTERNAL', `Could not load model ${cid}: ${(error as Error).message}`, { details: { cid }, cause: error })
        } finally {
          fetching.delete(cid)
        }
      })()
      fetching.set(cid, pending)
    }
    return pending
  }

  async function start(slot: Slot, job: Job): Promise<void> {
    slot.state = 'busy'
    slot.job = job
    job.slot = slot
    job.startedAt = performance.now()
    const needsModel = job.kind === 'load' || !slot.models.has(job.cid)
    job.warm = !needsModel
    let model: Uint8Array | undefined
    if (needsModel) {
      job.phase = 'fetching'
      try {
        const bytes = await fetchModel(job.cid)
        // Each worker gets its own copy to own (and, for threads, to receive by transfer).
        model = new Uint8Array(bytes)
      } catch (error) {
        settle(job, { error })
      }
      job.fetchMs = performance.now() - job.startedAt
      if (slot.job !== job) return // the worker died meanwhile; onExit settled the job
      if (job.settled) {
        slot.job = undefined
        slot.state = 'idle'
        pump()
        notify()
        return
      }
    }
    job.phase = 'sent'
    const transfer = isolation === 'thread' ? [...(job.kind === 'run' ? job.transfer : []), ...(model ? [model.buffer as ArrayBuffer] : [])] : []
    const message: ToWorker = job.kind === 'load'
      ? { type: 'load', id: slot.jobs, cid: job.cid, model: model!, session: job.session }
      : { type: 'run', id: slot.jobs, cid: job.cid, inputs: job.inputs, ...(model ? { model } : {}) }
    try {
      slot.handle.post(message, transfer)
    } catch (error) {
      slot.job = undefined
      slot.state = 'idle'
      settle(job, { error: new VerityError('INTERNAL', `Could not send the request to a worker: ${(error as Error).message}`, { cause: error }) })
      pump()
      notify()
    }
  }

  function pump(): void {
    while (queue.length > 0) {
      const idle = slots.filter((s) => s.state === 'idle')
      if (idle.length === 0) return
      const [slot, index] = choose(idle)
      const [job] = queue.splice(index, 1)
      void start(slot, job!)
    }
  }

  /** Prefers a waiting request whose session an idle worker already holds, without starving the oldest. */
  function choose(idle: Slot[]): [Slot, number] {
    const head = queue[0]!
    const window = performance.now() - head.enqueuedAt < AFFINITY_WAIT_MS ? Math.min(queue.length, AFFINITY_WINDOW) : 1
    for (let i = 0; i < window; i++) {
      const cid = queue[i]!.cid
      const holder = idle.find((s) => s.models.has(cid))
      if (holder) return [holder, i]
    }
    // Nobody idle holds it: the idle worker with the most room loads it.
    return [idle.reduce((a, b) => (b.cacheBytes < a.cacheBytes ? b : a)), 0]
  }

  /** `timeoutMs` is the request's whole budget (for messages); the timer gets what is left of it. */
  function enqueue(spec: JobSpec, timeoutMs: number, remainingMs = timeoutMs): Promise<Done> {
    if (closed) return Promise.reject(new VerityError('OVERLOADED', 'The runtime is shutting down.', { details: { cid: spec.cid } }))
    if (broken) return Promise.reject(broken)
    if (queue.length >= maxQueue) {
      totals.overloaded++
      return Promise.reject(new VerityError('OVERLOADED', `${queue.length} requests are already waiting for ${slots.length} workers (maxQueue ${maxQueue}).`, {
        details: { cid: spec.cid, queued: queue.length, maxQueue },
      }))
    }
    return new Promise<Done>((resolve, reject) => {
      const job = {
        ...spec, timeoutMs, enqueuedAt: performance.now(), startedAt: 0, fetchMs: 0, phase: 'queued', settled: false, slot: undefined, warm: false, resolve, reject,
      } as Job
      job.timer = setTimeout(() => onTimeout(job), remainingMs)
      queue.push(job)
      pump()
    })
  }

  function describeWith(cid: string, session: boolean): Promise<ModelDescription> {
    const cached = descriptions.get(cid)
    if (cached !== undefined && (!session || slots.some((s) => s.models.has(cid)))) return Promise.resolve(cached)
    const key = `${session ? 'warm' : 'describe'}:${cid}`
    let pending = describing.get(key)
    if (pending === undefined) {
      pending = enqueue({ kind: 'load', cid, session }, defaultTimeoutMs)
        .then(({ reply }) => {
          const description = (reply as Extract<Reply, { type: 'loaded' }>).description
          descriptions.set(cid, description, 1)
          return description
        })
        .finally(() => describing.delete(key))
      describing.set(key, pending)
    }
    return pending
  }

  function timeoutError(cid: string, timeoutMs: number, phase: string): VerityError {
    return new VerityError('TIMEOUT', `Model ${cid} did not finish within ${timeoutMs} ms.`, { details: { cid, timeoutMs, phase } })
  }

  async function run({ cid, inputs, timeoutMs }: RunParameters): Promise<RunReturnType> {
    const t0 = performance.now()
    const timeout = positiveInteger(timeoutMs, defaultTimeoutMs, 'timeoutMs')
    let description = descriptions.get(cid)
    if (description === undefined) {
      // Describing creates the session too, in the worker the run will then prefer.
      let timer: NodeJS.Timeout | undefined
      const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => { totals.timeouts++; reject(timeoutError(cid, timeout, 'describe')) }, timeout) })
      try {
        description = await Promise.race([describeWith(cid, true), deadline])
      } finally {
        clearTimeout(timer)
      }
    }
    checkInputs(description, inputs, inputLimits)
    const remaining = Math.max(1, Math.round(timeout - (performance.now() - t0)))
    const { map, transfer } = isolation === 'thread' ? transferable(inputs) : { map: inputs, transfer: [] }
    const done = await enqueue({ kind: 'run', cid, inputs: map, transfer }, timeout, remaining)
    totals.runs++
    const { job } = done
    const reply = done.reply as Extract<Reply, { type: 'result' }>
    const timings: WorkerTimings = reply.timings
    return {
      outputs: reply.outputs,
      timings: {
        totalMs: performance.now() - t0, queueMs: job.startedAt - job.enqueuedAt, fetchMs: job.fetchMs,
        sessionMs: timings.sessionMs, runMs: timings.runMs, convertMs: timings.convertMs,
      },
      worker: job.slot!.id,
      warm: job.warm,
    }
  }

  function stats(): RuntimeStats {
    return {
      isolation,
      workers: slots.map((s) => ({ id: s.id, state: s.state as WorkerStats['state'], models: [...s.models], cacheBytes: s.cacheBytes, jobs: s.jobs })),
      retiring: retiring.size,
      queued: queue.length,
      maxQueue,
      descriptionsCached: descriptions.size,
      totals: { ...totals },
    }
  }

  async function close(): Promise<void> {
    if (closing) return closing
    closed = true
    closing = (async () => {
      for (const job of queue.splice(0)) settle(job, { error: new VerityError('OVERLOADED', 'The runtime is shutting down.', { details: { cid: job.cid } }) })
      // A thread must not be terminated inside onnxruntime (see Isolation): wait for runs to return.
      while (slots.some((s) => s.state === 'busy' || s.state === 'starting') || retiring.size > 0) {
        await new Promise<void>((resolve) => { wake = resolve })
      }
      wake = undefined
      const all = [...slots]
      for (const slot of all) {
        slot.state = 'stopped'
        slot.handle.stop()
      }
      slots.length = 0
      await Promise.all(all.map((s) => s.exited))
    })()
    return closing
  }

  for (let i = 0; i < workerCount; i++) spawn()

  return {
    run,
    describe: (cid) => describeWith(cid, false),
    warm: (cid) => describeWith(cid, true),
    stats,
    close,
  }
}
