/**
 * The onnxruntime settings every Verity session is created with, and why. The aim: the same model,
 * input, onnxruntime version and CPU instruction set give bitwise-identical outputs, on every run, in
 * every worker. See the package README ("Determinism") for what can still differ across machines.
 */
import type { InferenceSession } from 'onnxruntime-node'

/** The onnxruntime-node version the settings were chosen for (and the determinism tests ran with). */
export const ONNXRUNTIME_VERSION = '1.30.0'

/**
 * Session options. Each one is fixed on purpose:
 *
 * - `intraOpNumThreads: 1`, `interOpNumThreads: 1`, `executionMode: 'sequential'`: one thread per
 *   session. Parallel kernels split reductions (MatMul, Conv, ReduceSum) across threads and the
 *   split depends on the thread count, so the float summation order, hence the rounding, would
 *   depend on the machine's core count. Parallelism comes from the worker pool instead (one
 *   request per worker), which also scales better for many small requests.
 * - `graphOptimizationLevel: 'all'`: a fixed level, so the executed graph is a function of the model
 *   and the onnxruntime version only. 'all' adds the NCHWc layout transform whose block size follows
 *   the CPU's vector width; that is the same instruction-set dependence the CPU kernels already have
 *   (see README), so it adds no new way to differ, and it runs convolution models ~30% faster.
 * - `enableCpuMemArena: false`, `enableMemPattern: false`: every tensor gets a fresh allocation, so no
 *   result can depend on what a previous request left in a reused buffer, and an idle session holds
 *   no arena (thousands of cached sessions stay small).
 * - `session.set_denormal_as_zero: '0'`: keep IEEE subnormals. Flush-to-zero is a per-thread CPU flag
 *   that onnxruntime sets when a session asks for it and never clears, so it would leak into every
 *   later session of that worker: every Verity session uses this one setting.
 * - `session.intra_op.allow_spinning: '0'`: no busy-waiting threads eating the pool's cores.
 */
export const SESSION_OPTIONS: Readonly<InferenceSession.SessionOptions> = Object.freeze({
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  enableCpuMemArena: false,
  enableMemPattern: false,
  logSeverityLevel: 3,
  extra: {
    session: {
      set_denormal_as_zero: '0',
      intra_op: { allow_spinning: '0' },
      inter_op: { allow_spinning: '0' },
    },
  },
})

/**
 * A cached session costs roughly this many times its model file in memory (weights copied into the
 * session, pre-packed GEMM weights, planned activations). Measured on onnxruntime-node 1.30 (CPU):
 * PaddleOCR PP-OCRv4 recognizer 10.8 MB file → ~26 MB; a 21 MB MLP → ~29 MB. The cache budget
 * (`cacheBytes`) is charged `file size × SESSION_BYTES_FACTOR` per session.
 */
export const SESSION_BYTES_FACTOR = 3
