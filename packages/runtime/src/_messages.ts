/** Messages between the pool (main thread) and its workers. Internal. */
import type { ModelDescription } from '@verity/onnx'
import type { ErrorCode, TensorMap } from '@verity/protocol'

export type WorkerConfig = { cacheBytes: number; sessionBytesFactor: number }

export type ToWorker =
  /** Describe a model; with `session`, also create and cache its session (warm). */
  | { type: 'load'; id: number; cid: string; model: Uint8Array; session: boolean }
  /** Run a model; `model` is sent when the pool knows the worker does not hold the session. */
  | { type: 'run'; id: number; cid: string; model?: Uint8Array; inputs: TensorMap }

export type SerializedError = { code: ErrorCode; message: string; details: Record<string, unknown> }

export type WorkerTimings = { sessionMs: number; runMs: number; convertMs: number }

export type FromWorker =
  | { type: 'ready' }
  | { type: 'loaded'; id: number; description: ModelDescription; timings: WorkerTimings; evicted: string[]; holds: boolean; cacheBytes: number }
  | { type: 'result'; id: number; outputs: TensorMap; timings: WorkerTimings; evicted: string[]; holds: boolean; cacheBytes: number }
  | { type: 'error'; id: number; error: SerializedError; evicted: string[]; holds: boolean; cacheBytes: number }
