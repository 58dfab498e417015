/**
 * The Verity client. Every inference result is verified before it is returned: signature, signer,
 * model CID, and input/output hashes recomputed from the returned tensors. A result that does not
 * verify throws VerificationError naming the failed check.
 */
import {
  BINARY_MESSAGE_MEDIA_TYPE, cidForBytes, decodeBinaryMessage, encodeBinaryMessage, isDType, parseCid, tensorFromJson, tensorMapFromJson, tensorMapToJson,
  verifyInferenceResult, VerityError,
  type Address, type CheckOutcome, type HealthResponse, type Hex, type InferRequest, type InferenceResult, type ModelCardJson,
  type ReleaseJson, type FileJson, type RepositoryJson, type SearchResponse, type StoredReceipt, type TensorMap, type VerifyResultOptions,
} from '@verity/protocol'
import { VerificationError } from './errors.ts'
import { request, requestJson, type Transport } from './http.ts'
import { checkZkml, modeVerifierOf, parseVerifierKey, type ZkModeCheck, type ZkSetupJson } from './zk.ts'
import { vkHash as vkHashOf, type ZkVerifierKey } from '@verity/zk/verify'
import { teeVerifier, type NodeAttestationJson, type TeeOptions } from './tee.ts'

export type ClientOptions = {
  /** Node URL; default `VERITY_NODE` or http://127.0.0.1:8420. */
  url?: string
  timeoutMs?: number
  /**
   * Signers to accept. Default: the address the node reports in /v1/health, fetched once (trust on
   * first use). Pass registered node addresses to pin them.
   */
  trustedSigners?: readonly string[]
  fetch?: typeof globalThis.fetch
  apiKey?: string
} & TeeOptions

export type Progress = (done: number, total: number | null) => void

export type VerifiedResult = InferenceResult & {
  /** `zk`: for mode ZKML, each proof check (model tag, key, input hash, output, pairing) in plain words. */
  verification: { ok: true; checks: CheckOutcome[]; receiptId: Hex; signer: Address; zk?: ZkModeCheck['zkChecks'] }
  /** The output as typed tensors (decoded once, after verification). */
  outputs: TensorMap
}

export type InferParameters = InferRequest & {
  /** Extra mode checks (ZK, TEE, quorum) from their packages. */
  modeVerifier?: VerifyResultOptions['modeVerifier']
  /**
   * Send the tensors as a binary message (canonical VTS1 bytes, no JSON numbers or base64) and get the
   * output back the same way; the result's `input` is then the tensors this client sent. Default: on
   * when every input names its dtype (a typed Tensor, or `{dtype, shape, data | base64}`).
   */
  binary?: boolean
}

/** The inputs as typed tensors when every one names its dtype; null when some need the model's (nested arrays). */
function typedInputs(input: Record<string, unknown>): TensorMap | null {
  const out: TensorMap = {}
  for (const [name, value] of Object.entries(input)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !isDType((value as { dtype?: unknown }).dtype)) return null
    const v = value as { dtype: string; shape: number[]; data?: unknown }
    out[name] = ArrayBuffer.isView(v.data) ? (v as TensorMap[string]) : tensorFromJson(v, `input.${name}`)
  }
  return out
}

const defaultUrl = (): string => (typeof process !== 'undefined' && process.env?.VERITY_NODE) || 'http://127.0.0.1:8420'

export function createClient(options: ClientOptions = {}) {
  const transport: Transport = {
    url: options.url ?? defaultUrl(),
    timeoutMs: options.timeoutMs ?? 60_000,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
  }
  let healthCache: Promise<HealthResponse> | null = null
  const health = (): Promise<HealthResponse> => requestJson<HealthResponse>(transport, '/v1/health')
  const nodeHealth = (): Promise<HealthResponse> => {
    healthCache ??= health().catch((e: unknown) => { healthCache = null; throw e })
    return healthCache
  }
  const trusted = async (): Promise<readonly string[]> => options.trustedSigners ?? [(await nodeHealth()).address]
  const enc = encodeURIComponent
  const repoPath = (repo: string) => {
    const [owner, name] = repo.split('/')
    return `/v1/repos/${enc(owner ?? '')}/${enc(name ?? '')}`
  }

  type PendingProof = { status: 'pending'; id: string; statusUrl: string }
  type ProofStatus = { id: string; status: 'pending' | 'done' | 'failed'; result?: InferenceResult; error?: { code: string; message: string; details?: Record<string, unknown>; hint?: string } }
  const proofStatus = (id: string): Promise<ProofStatus> => requestJson<ProofStatus>(transport, `/v1/proofs/${enc(id)}`)
  async function waitForProof(id: string, timeoutMs = transport.timeoutMs): Promise<InferenceResult> {
    const deadline = Date.now() + timeoutMs
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      const s = await proofStatus(id)
      if (s.status === 'done' && s.result) return s.result
      if (s.status === 'failed') throw new VerityError((s.error?.code ?? 'INTERNAL') as never, s.error?.message ?? `Proof ${id} failed.`, { details: s.error?.details ?? {} })
      if (Date.now() + delay > deadline) throw new VerityError('TIMEOUT', `Proof ${id} is still pending after ${timeoutMs} ms; fetch it later with GET /v1/proofs/${id}.`, { details: { id } })
      await new Promise((r) => setTimeout(r, delay))
    }
  }
  const zkSetup = (cid: string): Promise<ZkSetupJson> => requestJson<ZkSetupJson>(transport, `/v1/zk/${enc(cid)}`)
  /**
   * The verification key of a model's release: downloaded by CID (bytes checked), its hash computed
   * here and required to equal the vkHash the model card shows for that release.
   */
  async function zkVerifierKey(cid: string): Promise<{ key: ZkVerifierKey; setup: ZkSetupJson }> {
    const setup = await zkSetup(cid)
    const file = setup.files['zk/vk.json']
    if (!file) throw new VerityError('SETUP_MISSING', `The ZKML setup of ${cid} in ${setup.repo}@${setup.release} has no zk/vk.json.`, { details: { cid } })
    const key = parseVerifierKey(await pull(file), cid)
    const card = await requestJson<ModelCardJson>(transport, repoPath(setup.repo))
    const release = card.releases.find((r) => r.release === setup.release)
    const hash = vkHashOf(key.vk)
    if (!release || release.vkHash !== hash || setup.vkHash !== hash) {
      throw new VerityError('VERIFICATION_FAILED', `The verification key of ${setup.repo}@${setup.release} hashes to ${hash}, but the model release says ${release?.vkHash ?? 'nothing'}.`, { details: { cid, release: setup.release } })
    }
    return { key, setup }
  }
  async function pull(cid: string, p: { onProgress?: Progress; timeoutMs?: number } = {}): Promise<Uint8Array> {
    parseCid(cid)
    const response = await request(transport, `/v1/blobs/${enc(cid)}`, { timeoutMs: p.timeoutMs ?? Math.max(transport.timeoutMs, 600_000) })
    const total = Number(response.headers.get('content-length')) || null
    const chunks: Uint8Array[] = []
    let done = 0
    for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
      chunks.push(part)
      done += part.length
      p.onProgress?.(done, total)
    }
    const bytes = new Uint8Array(done)
    let o = 0
    for (const c of chunks) { bytes.set(c, o); o += c.length }
    const actual = cidForBytes(bytes)
    if (actual !== cid) throw new VerityError('DIGEST_MISMATCH', `Downloaded bytes hash to ${actual}, not ${cid}: the node served corrupt or different data.`, { details: { expected: cid, actual } })
    return bytes
  }

  /** POST /v1/infer as a binary message; the answer is binary too (a pending ZKML proof is JSON). */
  async function inferBinary(body: InferRequest, inputs: TensorMap, timeoutMs: number): Promise<InferenceResult | PendingProof> {
    const { input: _input, encoding: _encoding, ...head } = body
    const response = await request(transport, '/v1/infer', {
      raw: encodeBinaryMessage(head, inputs), headers: { 'content-type': BINARY_MESSAGE_MEDIA_TYPE, accept: BINARY_MESSAGE_MEDIA_TYPE }, timeoutMs,
    })
    if (!response.headers.get('content-type')?.startsWith(BINARY_MESSAGE_MEDIA_TYPE)) return (await response.json()) as PendingProof
    const answer = decodeBinaryMessage(new Uint8Array(await response.arrayBuffer()), 'the node\'s answer')
    // The input is the one this client sent: the input-hash check then proves the node ran on it.
    const encoding = body.encoding ?? 'base64'
    return { ...answer.head, input: tensorMapToJson(inputs, encoding), output: tensorMapToJson(answer.tensors, encoding) } as InferenceResult
  }

  return {
    url: transport.url,
    health,

    /** Runs a model and returns the result only if every check passes. */
    async infer(p: InferParameters): Promise<VerifiedResult> {
      const { modeVerifier, binary, ...body } = p
      // Compact base64 tensors by default: same bytes, same hashes, far cheaper than decimal floats.
      body.encoding ??= 'base64'
      const timeoutMs = p.timeoutMs ?? transport.timeoutMs
      const typed = binary === false ? null : typedInputs(body.input)
      if (binary === true && typed === null) {
        throw new VerityError('BAD_REQUEST', 'binary: every input must name its dtype (a typed Tensor or {dtype, shape, data | base64}); nested arrays take theirs from the model, so send them as JSON.')
      }
      const answer = typed === null
        ? await requestJson<InferenceResult | PendingProof>(transport, '/v1/infer', { body, timeoutMs: timeoutMs + 5_000 })
        : await inferBinary(body, typed, timeoutMs + 5_000)
      // A ZKML proof still running: poll for it (up to the timeout).
      const result = 'status' in answer && answer.status === 'pending' ? await waitForProof(answer.id, timeoutMs) : answer as InferenceResult
      const expectedModel = parseModelCid(p.model)
      let zk: ZkModeCheck | null = null
      if (!modeVerifier && result.receipt?.mode === 'ZKML') {
        const { key, setup } = await zkVerifierKey(result.model)
        zk = await checkZkml(result, key, setup.vkHash)
      }
      // TEE results: the attached attestation must verify and bind the signer (dev only when allowed).
      const tee = !modeVerifier && result.receipt?.mode === 'TEE' ? teeVerifier(options) : undefined
      const verification = verifyInferenceResult(result, { trustedSigners: await trusted(), expectedModel, modeVerifier: modeVerifier ?? (zk ? modeVerifierOf(zk) : tee) })
      if (!verification.ok) throw new VerificationError(verification.checks)
      return { ...result, verification: { ...verification, ...(zk ? { zk: zk.zkChecks } : {}) } as VerifiedResult['verification'], outputs: tensorMapFromJson(result.output, 'output') }
    },

    /** Status of a ZKML proof a node answered with 202. */
    proofStatus,
    waitForProof,
    /** The model's ZKML setup in the node's hub (release, vkHash, zk/* file CIDs). */
    zkSetup,
    zkVerifierKey,

    /** The ZKML check of a result (vk from the model release unless given, pinned to the release's vkHash). */
    async checkZkml(result: InferenceResult, vk?: ZkVerifierKey): Promise<ZkModeCheck> {
      const { key, setup } = await zkVerifierKey(result.model)
      return checkZkml(result, vk ?? key, setup.vkHash)
    },

    /** The node's TEE attestation (GET /v1/attestation); NodeRequestError TEE_NOT_CONFIGURED without a TEE. */
    async attestation(): Promise<NodeAttestationJson> {
      return requestJson<NodeAttestationJson>(transport, '/v1/attestation')
    },

    async getReceipt(id: string): Promise<StoredReceipt> {
      return requestJson<StoredReceipt>(transport, `/v1/receipts/${enc(id)}`)
    },

    async createRepository(p: { repo: string; description?: string; task?: string; license?: string; tags?: string[]; visibility?: 'public' | 'private' }): Promise<RepositoryJson> {
      const [owner, name] = p.repo.split('/')
      return requestJson<RepositoryJson>(transport, '/v1/repos', { body: { owner, name, description: p.description, task: p.task, license: p.license, tags: p.tags, visibility: p.visibility } })
    },

    async createRelease(p: { repo: string; release: string; notes?: string }): Promise<ReleaseJson> {
      return requestJson<ReleaseJson>(transport, `${repoPath(p.repo)}/releases`, { body: { release: p.release, notes: p.notes } })
    },

    async publishRelease(p: { repo: string; release: string }): Promise<ReleaseJson> {
      return requestJson<ReleaseJson>(transport, `${repoPath(p.repo)}/releases/${enc(p.release)}/publish`, { method: 'POST', body: {} })
    },

    /**
     * Uploads a file into a release (created as a draft if missing). The CID is computed locally first
     * and sent as `x-expected-cid`, so a corrupted transfer is rejected by the node.
     */
    async pushFile(p: { repo: string; release: string; path: string; bytes: Uint8Array; onProgress?: Progress; timeoutMs?: number }): Promise<FileJson> {
      const cid = cidForBytes(p.bytes)
      const total = p.bytes.length
      const chunk = 256 * 1024
      let offset = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= total) {
            controller.close()
            return
          }
          const end = Math.min(total, offset + chunk)
          controller.enqueue(p.bytes.subarray(offset, end))
          offset = end
          p.onProgress?.(offset, total)
        },
      })
      return requestJson<FileJson>(transport, `${repoPath(p.repo)}/releases/${enc(p.release)}/files/${p.path.split('/').map(enc).join('/')}`, {
        method: 'PUT', raw: body, headers: { 'x-expected-cid': cid, 'content-length': String(total) }, timeoutMs: p.timeoutMs ?? Math.max(transport.timeoutMs, 600_000),
      })
    },

    /** Downloads a blob by CID and checks that the bytes hash to it. */
    pull,

    async listFiles(p: { repo: string; release: string }): Promise<FileJson[]> {
      return requestJson<FileJson[]>(transport, `${repoPath(p.repo)}/releases/${enc(p.release)}/files`)
    },

    async modelCard(repo: string): Promise<ModelCardJson> {
      return requestJson<ModelCardJson>(transport, repoPath(repo))
    },

    async search(p: { q?: string; task?: string; tags?: string[]; owner?: string; sort?: string; limit?: number; cursor?: string } = {}): Promise<SearchResponse> {
      const qs = new URLSearchParams()
      for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== '') qs.set(k, Array.isArray(v) ? v.join(',') : String(v))
      return requestJson<SearchResponse>(transport, `/v1/search?${qs}`)
    },

    /** Checks a saved result offline against the signers this client trusts. */
    async verify(result: unknown, extra: Omit<VerifyResultOptions, 'trustedSigners'> = {}) {
      // ZKML results: the proof is checked against the key of the model release in this node's hub.
      const r = result as InferenceResult | null
      if (!extra.modeVerifier && r?.receipt?.mode === 'ZKML' && typeof r.model === 'string') {
        let check: CheckOutcome
        try {
          const { key, setup } = await zkVerifierKey(r.model)
          check = await checkZkml(r, key, setup.vkHash)
        } catch (error) {
          check = { check: 'mode', ok: false, message: `Mode ZKML: the model's verification key is unavailable: ${(error as Error).message}` }
        }
        return verifyInferenceResult(result, { ...extra, trustedSigners: await trusted(), modeVerifier: modeVerifierOf(check) })
      }
      // Saved TEE results: checked as of their receipt's time (the evidence was fresh when signed).
      const tee = !extra.modeVerifier && r?.receipt?.mode === 'TEE' ? teeVerifier(options, { atReceiptTime: true }) : undefined
      return verifyInferenceResult(result, { ...extra, trustedSigners: await trusted(), ...(tee ? { modeVerifier: tee } : {}) })
    },
  }
}

export type VerityClient = ReturnType<typeof createClient>

function parseModelCid(model: string): string | undefined {
  try {
    return parseCid(model).cid
  } catch {
    return undefined
  }
}

/**
 * Verifies a saved result offline, with no node: the signature, the model CID and the input/output
 * hashes. Pass `trustedSigners` to also require a known signer.
 */
export function verifyReceipt(result: unknown, options: VerifyResultOptions = {}) {
  return verifyInferenceResult(result, options)
}

/** The same result with tensors as plain JSON arrays (readable, editable); hashes are unchanged. */
export function withJsonTensors(result: InferenceResult): InferenceResult {
  return { ...result, input: tensorMapToJson(tensorMapFromJson(result.input, 'input')), output: tensorMapToJson(tensorMapFromJson(result.output, 'output')) }
}
