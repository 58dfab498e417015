/**
 * A runtime worker: one onnxruntime instance holding an LRU cache of sessions, running one job at a
 * time. It runs as a worker thread (isolation 'thread') or a child process (isolation 'process');
 * only the message port differs. Internal: started by createRuntime.
 */
import { parentPort, workerData } from 'node:worker_threads'
import ort from 'onnxruntime-node'
import { describeModel } from '@verity/onnx'
import { VerityError } from '@verity/protocol'
import type { FromWorker, SerializedError, ToWorker, WorkerConfig, WorkerTimings } from './_messages.ts'
import { fromOrtOutputs, toOrtFeeds, transferable } from './convert.ts'
import { ONNXRUNTIME_VERSION, SESSION_OPTIONS } from './determinism.ts'
import { LruCache } from './lruCache.ts'

type Port = { send: (message: FromWorker, transfer?: ArrayBuffer[]) => void; onMessage: (handler: (message: ToWorker) => void) => void }

function openPort(): { port: Port; config: WorkerConfig } {
  if (parentPort) {
    const p = parentPort
    return {
      port: { send: (m, transfer) => p.postMessage(m, transfer ?? []), onMessage: (h) => p.on('message', h) },
      config: workerData as WorkerConfig,
    }
  }
  if (!process.send) throw new Error('the runtime worker must be started by createRuntime (as a worker thread or a forked process)')
  // A child process whose parent went away has nobody to answer: leave at once.
  process.on('disconnect', () => process.exit(0))
  const send = process.send.bind(process)
  return {
    port: { send: (m) => send(m), onMessage: (h) => process.on('message', h as (m: unknown) => void) },
    config: JSON.parse(process.env.VERITY_RUNTIME_WORKER ?? '{}') as WorkerConfig,
  }
}

const { port, config } = openPort()
const sessions = new LruCache<ort.InferenceSession>(config.cacheBytes)

function serializeError(error: unknown, fallback: string): SerializedError {
  if (error instanceof VerityError) return { code: error.code, message: error.message, details: error.details }
  const message = error instanceof Error ? error.message : String(error)
  return { code: 'RUNTIME_ERROR', message: `${fallback}: ${message}`, details: {} }
}

async function createSession(cid: string, model: Uint8Array): Promise<{ session: ort.InferenceSession; evicted: string[] }> {
  let session: ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(model, structuredClone(SESSION_OPTIONS) as ort.InferenceSession.SessionOptions)
  } catch (cause) {
    throw new VerityError('UNSUPPORTED_MODEL', `onnxruntime-node ${ONNXRUNTIME_VERSION} cannot load model ${cid}: ${(cause as Error).message}`, {
      details: { cid }, cause,
    })
  }
  const evicted = sessions.set(cid, session, model.byteLength * config.sessionBytesFactor)
  for (const e of evicted) await e.value.release()
  return { session, evicted: evicted.map((e) => e.key) }
}

async function handle(message: ToWorker): Promise<void> {
  const timings: WorkerTimings = { sessionMs: 0, runMs: 0, convertMs: 0 }
  let evicted: string[] = []
  const reply = (m: Record<string, unknown>, transfer?: ArrayBuffer[]) =>
    port.send({ ...m, id: message.id, evicted, holds: sessions.has(message.cid), cacheBytes: sessions.bytes } as FromWorker, transfer)
  try {
    if (message.type === 'load') {
      const description = describeModel(message.model)
      if (message.session && !sessions.has(message.cid)) {
        const t0 = performance.now()
        evicted = (await createSession(message.cid, message.model)).evicted
        timings.sessionMs = performance.now() - t0
      }
      reply({ type: 'loaded', description, timings })
      return
    }
    let session = sessions.get(message.cid)
    if (session === undefined) {
      if (message.model === undefined) throw new VerityError('INTERNAL', `The worker holds no session for ${message.cid} and was sent no model.`, { details: { cid: message.cid } })
      const t0 = performance.now()
      const created = await createSession(message.cid, message.model)
      session = created.session
      evicted = created.evicted
      timings.sessionMs = performance.now() - t0
    }
    let t0 = performance.now()
    const feeds = toOrtFeeds(message.inputs)
    timings.convertMs = performance.now() - t0
    t0 = performance.now()
    let results: ort.InferenceSession.OnnxValueMapType
    try {
      results = await session.run(feeds)
    } catch (cause) {
      throw new VerityError('RUNTIME_ERROR', `Model ${message.cid} failed while running: ${(cause as Error).message}`, { details: { cid: message.cid }, cause })
    }
    timings.runMs = performance.now() - t0
    t0 = performance.now()
    const { map: outputs, transfer } = transferable(fromOrtOutputs(results))
    timings.convertMs += performance.now() - t0
    reply({ type: 'result', outputs, timings }, transfer)
  } catch (error) {
    reply({ type: 'error', error: serializeError(error, `Model ${message.cid} failed`) })
  }
}

// Jobs arrive one at a time (the pool waits for each reply), so no two handlers overlap.
port.onMessage((message) => void handle(message))
port.send({ type: 'ready' })
