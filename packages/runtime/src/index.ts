/**
 * @verity/runtime — ONNX execution for Verity nodes, on CPU with onnxruntime-node.
 *
 * - `createRuntime({ loadModel })` starts a pool of workers (one per core by default). Each worker
 *   holds an LRU cache of onnxruntime sessions bounded by `cacheBytes`; requests for a model go
 *   preferably to a worker that already holds its session. `run` checks the inputs against the
 *   model's declared inputs, then runs the model with a timeout (TIMEOUT), a bounded queue
 *   (OVERLOADED) and crash recovery (RUNTIME_ERROR fails only the request that crashed).
 * - `prepareInputs(description, rawInput, limits)` turns request JSON (protocol TensorJson or plain
 *   nested arrays) into typed tensors, with INVALID_INPUT / INPUT_TOO_LARGE errors naming the tensor
 *   and the problem; `checkInputs` does the same checks on typed tensors.
 * - `SESSION_OPTIONS` are the determinism settings every session uses (one thread, sequential, fixed
 *   optimization level, no arena); the README explains what can still differ across machines.
 *
 * The HTTP node builds on this package; the package itself knows nothing about HTTP.
 */
export {
  createRuntime,
  type CreateRuntimeParameters, type Isolation, type Runtime, type RunParameters, type RunReturnType, type RunTimings, type RuntimeStats, type WorkerStats,
} from './createRuntime.ts'
export { prepareInputs, checkInputs, assertRunnable, defaultInputLimits, type InputLimits } from './prepareInputs.ts'
export { SESSION_OPTIONS, SESSION_BYTES_FACTOR, ONNXRUNTIME_VERSION } from './determinism.ts'
export { LruCache, type Evicted } from './lruCache.ts'
