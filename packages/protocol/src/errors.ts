/**
 * One catalogue of stable error codes for every Verity component. Each code has an HTTP status and a
 * hint saying what to do. Never reuse a retired code: add a new one.
 */
export const errorCatalogue = {
  BAD_REQUEST: { status: 400, hint: 'Check the request body against the OpenAPI document at /openapi.json.' },
  INVALID_INPUT: { status: 400, hint: "Match the model's declared inputs (see `verity model info`)." },
  INPUT_TOO_LARGE: { status: 413, hint: 'Send a smaller input, or raise the node limit (maxInputBytes).' },
  INVALID_MODEL_FILE: { status: 422, hint: 'Upload a complete, valid ONNX file.' },
  DIGEST_MISMATCH: { status: 422, hint: 'The bytes received do not hash to the CID claimed: re-send the file.' },
  INVALID_CID: { status: 400, hint: 'A model CID is CIDv1, raw codec, sha2-256, e.g. bafkrei...' },
  INVALID_NAME: { status: 400, hint: 'Names are owner/name with [a-z0-9._-], releases are MAJOR.MINOR like 1.00.' },
  NOT_FOUND: { status: 404, hint: 'Check the name or id; `verity model search` lists what exists.' },
  MODEL_NOT_FOUND: { status: 404, hint: 'Push the model first (`verity model push`) or check the CID or name@release.' },
  RECEIPT_NOT_FOUND: { status: 404, hint: 'Receipts are kept by the node that issued them; check the id and the node.' },
  ALREADY_EXISTS: { status: 409, hint: 'Pick another name or release number; published releases never change.' },
  RELEASE_PUBLISHED: { status: 409, hint: 'Published releases are immutable: create a new release.' },
  UNSUPPORTED_MODE: { status: 400, hint: 'This node serves the modes listed in GET /v1/health.' },
  UNAUTHORIZED: { status: 401, hint: 'Send an API key in Authorization: Bearer KEY.' },
  FORBIDDEN: { status: 403, hint: 'The key lacks the scope or does not own this data.' },
  RATE_LIMITED: { status: 429, hint: 'Slow down; retry after the time in Retry-After.' },
  TIMEOUT: { status: 504, hint: 'The work exceeded its time limit; raise the timeout or use a smaller input.' },
  OVERLOADED: { status: 503, hint: 'The node is at capacity; retry shortly or use another node.' },
  RUNTIME_ERROR: { status: 500, hint: 'The model failed while running; check the input against the model card.' },
  VERIFICATION_FAILED: { status: 422, hint: 'The result does not verify: do not use its output.' },
  INTERNAL: { status: 500, hint: 'An unexpected error; the node logs carry the details.' },
  // @verity/tee
  ATTESTATION_MALFORMED: { status: 400, hint: 'Send the attestation document exactly as the TEE produced it (see @verity/tee for the accepted forms).' },
  ATTESTATION_UNAVAILABLE: { status: 503, hint: 'This machine has no usable TEE interface; run on TEE hardware or use the insecure dev provider on local networks only.' },
  // @verity/llm-gateway
  UPSTREAM_ERROR: { status: 502, hint: 'The upstream model provider failed; the details carry its status and message. Retry or pick another provider.' },
  // @verity/runtime
  UNSUPPORTED_MODEL: {
    status: 422,
    hint: 'Verity carries float32, float64, int8-64, uint8-64, bool and string tensors: re-export the model with those input/output types (e.g. cast float16 to float32).',
  },
  // @verity/db and @verity/hub
  DATABASE_UNAVAILABLE: { status: 503, hint: 'Check that PostgreSQL is running and that the database URL (host, port, database, user) is right.' },
  BLOB_CORRUPT: { status: 500, hint: 'A stored file no longer matches its CID (disk corruption or tampering): delete it and push the file again.' },
  // @verity/chain
  CHAIN_UNAVAILABLE: { status: 503, hint: 'Check the RPC URL and that the chain is running (a local one: startAnvil from @verity/chain).' },
  CHAIN_REVERTED: { status: 409, hint: 'The contract rejected the transaction; the message names the rule it broke.' },
  DEPLOYMENT_NOT_FOUND: { status: 404, hint: 'Deploy the contracts first (deployVerity) or point at the deployment JSON it saved.' },
  // @verity/network (node network agent, SDK network client, local network orchestrator)
  NO_NODES: { status: 503, hint: 'No active registered node answered: start nodes (`verity up`), or check the chain RPC URL and deployment.' },
  QUORUM_DISAGREEMENT: { status: 422, hint: 'Nodes signed different outputs for the same request: do not use the output; `verity dispute` slashes the outvoted node.' },
  // @verity/zk (ZKML circuits, setup and proofs)
  UNSUPPORTED_OPERATOR: { status: 422, hint: 'ZKML proves Gemm, MatMul, Add, Conv, Relu, LeakyRelu, MaxPool, AveragePool, Flatten, Reshape and folded BatchNormalization; serve other models in VANILLA, TEE or QUORUM mode.' },
  CIRCUIT_TOO_LARGE: { status: 422, hint: 'Run a ceremony at the power the circuit needs, shrink the model, or use QUORUM or TEE mode (beyond about 2^20 constraints proving gets slow).' },
  SETUP_MISSING: { status: 409, hint: 'Run the ZK setup for this model (compile, then the ceremony and phase 2) before proving.' },
  INVALID_PROOF: { status: 422, hint: 'The proof or its public signals are corrupt or malformed; ask the node for a fresh result.' },
  // TEE attestation on nodes: GET /v1/attestation, mode tee, the attestation verifier (helper attest)
  TEE_NOT_CONFIGURED: { status: 404, hint: 'This node runs without a TEE: start it with --tee auto|nitro|configfs-tsm|sev-guest on TEE hardware (--tee dev on local networks only), or use another mode.' },
  // LLM gateway on the node (POST /v1/chat/completions, /v1/completions; helper llm)
  SETTLEMENT_UNAVAILABLE: { status: 409, hint: 'Settlement "individual" needs a node on a chain (`verity up`); use "batch" or "private" on a node without one.' },
} as const satisfies Record<string, { status: number; hint: string }>

export type ErrorCode = keyof typeof errorCatalogue

export type VerityErrorOptions = {
  details?: Record<string, unknown> | undefined
  cause?: unknown
  hint?: string | undefined
}

/**
 * Base error of every Verity package: a stable `code`, a short message naming what was wrong and where,
 * structured `details`, and a hint saying what to do.
 */
export class VerityError extends Error {
  override name = 'VerityError'
  readonly code: ErrorCode
  readonly details: Record<string, unknown>
  readonly hint: string

  constructor(code: ErrorCode, message: string, options: VerityErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details ?? {}
    this.hint = options.hint ?? errorCatalogue[code].hint
  }

  get status(): number {
    return errorCatalogue[this.code].status
  }

  /** The wire form: `{ error: { code, message, details } }`. */
  toJSON(): { error: { code: ErrorCode; message: string; details: Record<string, unknown>; hint: string } } {
    return { error: { code: this.code, message: this.message, details: this.details, hint: this.hint } }
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value)
}
