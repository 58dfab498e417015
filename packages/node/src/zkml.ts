/**
 * Mode ZKML on the node. A model's ZK setup lives in the hub as files of a release that holds the
 * model (`zk/manifest.json`, `zk/vk.json`, `zk/plan.json`, `zk/circuit.r1cs`, `zk/circuit.zkey`,
 * `zk/Verifier.sol`, `zk/ceremony.json`; written by `verity zk compile`), so a model CID maps to
 * one verification key: the one of the oldest (published first) release holding both. The node
 * copies the files into `dataDir/zk/<cid>-<vk>` once (atomically) and proves in separate processes
 * (`@verity/zk` createProver: proving never blocks the event loop; plans and proving keys stay
 * cached per worker).
 *
 * The output a ZKML result returns is the integer executor's output, exactly what the circuit proves;
 * onnxruntime's float output rides along as `proof.unprovenFloatOutput`, labelled unproven.
 * Slow proofs: `async: true`, or a proof outlasting the wait budget, answers 202 with a proof id;
 * `GET /v1/proofs/:id` reports pending/done/failed.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Hub, HubTables } from '@verity/hub'
import {
  bytesToHex, cidDigest, hashTensorSet, receiptDigest, signReceipt, tensorMapFromJson, tensorMapToJson, VerityError,
  type Hex, type InferRequest, type InferenceResult, type Receipt, type TensorMap, type TensorMapJson,
} from '@verity/protocol'
import { createProver, loadArtifacts, vkHash, zkProofHash, type Prover, type ZkResultProof, type ZkVerifierKey } from '@verity/zk'
import type { ReceiptEntry } from './receipts.ts'
import type { NodeKey } from './key.ts'

/** Release file paths of a ZK setup, and the artifact file each becomes on the node. */
export const zkReleaseFiles = {
  'zk/manifest.json': 'manifest.json',
  'zk/plan.json': 'plan.json',
  'zk/circuit.r1cs': 'circuit.r1cs',
  'zk/circuit.zkey': 'circuit.zkey',
  'zk/Verifier.sol': 'Verifier.sol',
} as const
/** Written last by `verity zk compile`: its presence marks a complete setup. */
export const ZK_VK_PATH = 'zk/vk.json'

export type ZkSetupJson = {
  cid: string
  repo: string
  release: string
  published: boolean
  vkHash: string
  /** Every `zk/*` file of the release: path → CID (fetch with GET /v1/blobs/:cid). */
  files: Record<string, string>
}

/** The ZKML part of an InferenceResult as this node returns it. */
export type ZkmlProofJson = ZkResultProof & {
  setup: { repo: string; release: string }
  /** onnxruntime's float output for the same input: NOT proven, shown for comparison only. */
  unprovenFloatOutput: TensorMapJson
  timings: { witnessMs: number; proveMs: number; totalMs: number }
}

export type ProofJobJson = { id: string; status: 'pending' | 'done' | 'failed'; result?: InferenceResult; error?: ReturnType<VerityError['toJSON']>['error'] }
export type PendingProof = { status: 'pending'; id: string; statusUrl: string }

export type ZkmlPorts = {
  hub: Hub
  dataDir: string
  key: NodeKey
  chainId: number
  /** Proving processes (0: this node serves no ZKML). */
  workers: number
  /** How long a synchronous request waits for its proof before answering 202 (default 120 s). */
  waitBudgetMs?: number
  resolveModel: (ref: string) => Promise<{ cid: string; ref: string }>
  prepareInputs: (cid: string, raw: Record<string, unknown>) => Promise<TensorMap>
  run: (cid: string, inputs: TensorMap, timeoutMs: number) => Promise<TensorMap>
  saveReceipt: (entry: ReceiptEntry) => Promise<void>
  defaultTimeoutMs: number
  now?: () => number
}

export type ZkmlService = ReturnType<typeof createZkmlService>

export function createZkmlService(ports: ZkmlPorts) {
  const db = ports.hub.database.db.withTables<HubTables>()
  let prover: Prover | null = null
  const materializing = new Map<string, Promise<string>>()
  const vkHashByBlob = new Map<string, string | null>()
  const jobs = new Map<string, { status: 'pending' | 'done' | 'failed'; result?: InferenceResult; error?: VerityError; finishedAt?: number }>()
  const waitBudgetMs = ports.waitBudgetMs ?? 120_000

  /** The ZK setup for a model CID, or null: the oldest release (published first) holding the model and zk/vk.json. */
  async function findSetup(cid: string): Promise<ZkSetupJson | null> {
    const row = await db.selectFrom('hub_files as m')
      .innerJoin('hub_files as v', (j) => j.onRef('v.release_id', '=', 'm.release_id').on('v.path', '=', ZK_VK_PATH))
      .innerJoin('hub_releases as rel', 'rel.id', 'm.release_id')
      .innerJoin('hub_repositories as r', 'r.id', 'rel.repository_id')
      .select(['rel.id as releaseId', 'rel.version', 'rel.published_at', 'r.owner', 'r.name', 'v.cid as vkCid'])
      .where('m.cid', '=', cid)
      .orderBy((eb) => eb.parens(eb('rel.published_at', 'is', null)))
      .orderBy('rel.published_at').orderBy('rel.id')
      .limit(1).executeTakeFirst()
    if (!row) return null
    const files = await db.selectFrom('hub_files').select(['path', 'cid']).where('release_id', '=', row.releaseId).where('path', 'like', 'zk/%').execute()
    const hash = await vkHashOfBlob(row.vkCid)
    if (hash === null) return null
    return {
      cid, repo: `${row.owner}/${row.name}`, release: row.version, published: row.published_at !== null, vkHash: hash,
      files: Object.fromEntries(files.map((f) => [f.path, f.cid])),
    }
  }

  /** The hash of the key inside a stored zk/vk.json, computed here (never read from the file). */
  async function vkHashOfBlob(blobCid: string): Promise<string | null> {
    if (!vkHashByBlob.has(blobCid)) {
      let hash: string | null = null
      try {
        const key = JSON.parse(new TextDecoder().decode(await ports.hub.readBlob(blobCid))) as ZkVerifierKey
        hash = vkHash(key.vk)
      } catch {
        hash = null
      }
      vkHashByBlob.set(blobCid, hash)
    }
    return vkHashByBlob.get(blobCid)!
  }

  /**
   * Copies the setup's files into dataDir/zk/<cid>-<vk hash prefix> (temporary directory, then
   * rename); keyed by the key too, so a draft setup replaced later is never served from a stale copy
   * (the provers cache plans and keys per directory).
   */
  async function artifactsDir(setup: ZkSetupJson): Promise<string> {
    const dir = join(ports.dataDir, 'zk', `${setup.cid}-${setup.vkHash.slice(2, 18)}`)
    if (existsSync(join(dir, 'manifest.json'))) return dir
    let pending = materializing.get(dir)
    if (!pending) {
      pending = (async () => {
        const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`
        mkdirSync(tmp, { recursive: true })
        try {
          for (const [path, file] of Object.entries(zkReleaseFiles)) {
            const blob = setup.files[path]
            if (!blob) throw new VerityError('SETUP_MISSING', `The ZK setup in ${setup.repo}@${setup.release} lacks ${path}: run \`verity zk compile\` again.`, { details: { cid: setup.cid, file: path } })
            writeFileSync(join(tmp, file), await ports.hub.readBlob(blob))
          }
          const { manifest } = loadArtifacts(tmp)
          if (manifest.cid !== setup.cid || manifest.vkHash !== setup.vkHash || vkHash(manifest.verifierKey.vk) !== setup.vkHash) {
            throw new VerityError('SETUP_MISSING', `The ZK setup in ${setup.repo}@${setup.release} is inconsistent (its manifest is for ${manifest.cid} with key ${manifest.vkHash}, the release's key is ${setup.vkHash}).`, { details: { cid: setup.cid } })
          }
          rmSync(dir, { recursive: true, force: true })
          renameSync(tmp, dir)
          return dir
        } catch (error) {
          rmSync(tmp, { recursive: true, force: true })
          throw error
        } finally {
          materializing.delete(dir)
        }
      })()
      materializing.set(dir, pending)
    }
    return pending
  }

  async function proveAndSign(request: InferRequest, started: number): Promise<InferenceResult> {
    const { cid, ref } = await ports.resolveModel(request.model)
    const setup = await findSetup(cid)
    if (!setup) {
      throw new VerityError('SETUP_MISSING', `Model ${cid} has no ZKML setup in this hub: run \`verity zk compile ${request.model}\` first, or use another mode.`, { details: { model: cid } })
    }
    const dir = await artifactsDir(setup)
    const inputs = await ports.prepareInputs(cid, request.input)
    const inputHash = hashTensorSet(inputs)
    const encoding = request.encoding ?? 'json'
    const inputJson = tensorMapToJson(inputs, encoding)
    const proverInput = tensorMapToJson(inputs, 'base64')
    prover ??= createProver({ workers: ports.workers })
    const [proven, float] = await Promise.all([
      prover.prove(dir, proverInput),
      ports.run(cid, inputs, request.timeoutMs ?? ports.defaultTimeoutMs),
    ])
    const outputs = tensorMapFromJson(proven.output, 'output')
    const receipt: Receipt = {
      requestId: request.requestId ?? (bytesToHex(randomBytes(32)) as Hex),
      modelDigest: cidDigest(cid),
      inputHash,
      outputHash: hashTensorSet(outputs),
      mode: 'ZKML',
      proofHash: zkProofHash(proven.proof, proven.publicSignals),
      node: ports.key.address,
      timestamp: Math.floor((ports.now?.() ?? Date.now()) / 1000),
      chainId: ports.chainId,
    }
    const proof: ZkmlProofJson = {
      system: 'groth16-bn254', proof: proven.proof, publicSignals: proven.publicSignals, vkHash: setup.vkHash,
      setup: { repo: setup.repo, release: setup.release },
      unprovenFloatOutput: tensorMapToJson(float, encoding),
      timings: proven.timings,
    }
    const result: InferenceResult = {
      version: 1, model: cid, input: inputJson, output: tensorMapToJson(outputs, encoding), receipt,
      signature: signReceipt(receipt, ports.key.privateKey), proof, source: { ref },
    }
    // `inputs` went to the runtime (which may detach its buffers): the store gets the prover's copy.
    await ports.saveReceipt({
      id: receiptDigest(receipt), model: cid, receipt, signature: result.signature, latencyMs: performance.now() - started, proof,
      input: tensorMapFromJson(proverInput, 'input'), output: outputs,
    })
    return result
  }

  const forgetOld = () => {
    const cutoff = Date.now() - 3_600_000
    for (const [id, job] of jobs) if (job.finishedAt !== undefined && job.finishedAt < cutoff) jobs.delete(id)
  }

  return {
    modes: ports.workers > 0 ? (['ZKML'] as const) : ([] as const),
    findSetup,

    /** A ZKML inference: the signed result, or a pending proof id when asked (`async`) or when it outlasts the wait budget. */
    async infer(request: InferRequest & { async?: boolean }): Promise<InferenceResult | PendingProof> {
      if (ports.workers <= 0) throw new VerityError('UNSUPPORTED_MODE', 'This node runs no prover, so it does not serve mode ZKML.', { details: { mode: 'ZKML' } })
      const started = performance.now()
      forgetOld()
      const id = bytesToHex(randomBytes(16))
      const job: { status: 'pending' | 'done' | 'failed'; result?: InferenceResult; error?: VerityError; finishedAt?: number } = { status: 'pending' }
      const work = proveAndSign(request, started)
      const pending = (): PendingProof => {
        jobs.set(id, job)
        work.then(
          (result) => Object.assign(job, { status: 'done', result, finishedAt: Date.now() }),
          (error: unknown) => Object.assign(job, { status: 'failed', finishedAt: Date.now(), error: error instanceof VerityError ? error : new VerityError('INTERNAL', `Proving failed: ${(error as Error).message}`, { details: {} }) }),
        )
        return { status: 'pending', id, statusUrl: `/v1/proofs/${id}` }
      }
      if (request.async) {
        // Setup and input problems still fail the request itself when they show up at once.
        const early = await Promise.race([work.then(() => null, (e: unknown) => e), new Promise((r) => setTimeout(() => r(null), 50))])
        if (early) throw early
        return pending()
      }
      let timer: NodeJS.Timeout | undefined
      const budget = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), waitBudgetMs) })
      try {
        const first = await Promise.race([work, budget])
        return first === 'late' ? pending() : first
      } finally {
        clearTimeout(timer)
      }
    },

    proofStatus(id: string): ProofJobJson {
      const job = jobs.get(id)
      if (!job) throw new VerityError('NOT_FOUND', `No proof job ${id} on this node (jobs are kept for an hour after they finish).`, { details: { id } })
      return { id, status: job.status, ...(job.result ? { result: job.result } : {}), ...(job.error ? { error: job.error.toJSON().error } : {}) }
    },

    /** vkHash per release for the model card: computed from the release's zk/vk.json, null without one. */
    async releaseVkHash(files: ReadonlyArray<{ path: string; cid: string }>): Promise<string | null> {
      const vk = files.find((f) => f.path === ZK_VK_PATH)
      return vk ? vkHashOfBlob(vk.cid) : null
    },

    async close(): Promise<void> {
      await prover?.close()
      prover = null
    },
  }
}

export const isPendingProof = (r: unknown): r is PendingProof => typeof r === 'object' && r !== null && (r as PendingProof).status === 'pending' && typeof (r as PendingProof).id === 'string'

/** GET /v1/proofs/:id and GET /v1/zk/:cid. */
export function registerZkmlRoutes(app: FastifyInstance, zkml: ZkmlService): void {
  app.get<{ Params: { id: string } }>('/v1/proofs/:id', {
    schema: { tags: ['inference'], summary: 'Status of a ZKML proof answered with 202: pending, done (with the result) or failed (with the error)', params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
  }, async (request) => zkml.proofStatus(request.params.id))
  app.get<{ Params: { cid: string } }>('/v1/zk/:cid', {
    schema: { tags: ['hub'], summary: "A model's ZKML setup: the release holding it, its verification key hash and the zk/* files", params: { type: 'object', properties: { cid: { type: 'string' } }, required: ['cid'] } },
  }, async (request) => {
    const setup = await zkml.findSetup(request.params.cid)
    if (!setup) throw new VerityError('SETUP_MISSING', `Model ${request.params.cid} has no ZKML setup in this hub: run \`verity zk compile\` for a release holding it.`, { details: { model: request.params.cid } })
    return setup
  })
}
