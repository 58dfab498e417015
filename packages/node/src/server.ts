/**
 * The composition root: opens the database, the hub, the runtime and the node key, wires them to the
 * HTTP routes, and starts listening. `startNode` is what `verity up` runs.
 */
import { join } from 'node:path'
import { openDatabase, type Database } from '@verity/db'
import { createAuth, createHashingEmbedder, createLocalSigner, createMemoryService, createMemoryStore, createOpenAiLlm, createSentenceEncoder, ensureAdminKey } from '@verity/memory'
import { createHub, seedSamples, type FileInfo, type Hub, type HubTables, type ModelCard, type Repository, type ReleaseInfo, type SearchHit } from '@verity/hub'
import { createRuntime, prepareInputs, type Runtime } from '@verity/runtime'
import { sampleModels, type SampleModel } from '@verity/samples'
import type { ModelDescription } from '@verity/onnx'
import type { FastifyInstance } from 'fastify'
import { createReceiptSigner, parseModelRef, receiptDigest, VerityError, type LlmSettlementJson, type LlmSettlementMode, type Receipt, type FileJson, type Hex, type IoSchema, type ModelCardJson, type ReleaseJson, type RepositoryJson, type TensorMap, type TensorMapJson } from '@verity/protocol'
import { buildApp } from './app.ts'
import { resolveConfig, type NodeConfig } from './config.ts'
import { binaryResultOf, runInference } from './inference.ts'
import { loadOrCreateNodeKey, type NodeKey } from './key.ts'
import type { HubPort, NetworkPort } from './ports.ts'
import { defaultExplorerDir } from './explorer.ts'
import { createReceiptStore, type ReceiptStore } from './receipts.ts'
import { registerAttestationRoutes, startNodeAttestation, unrelatedAddress, type NodeAttestor } from './attestation.ts'
import { createNodeLlmGateway, registerLlmRoutes } from './llm.ts'
import { createZkmlService, registerZkmlRoutes, type ZkmlService } from './zkml.ts'
import { createPeerFetcher, crashHooks, faultFromEnv, registerNetworkRoutes, startNetworkAgent, withFault, type NetworkAgent, type NodeNetworkOptions } from './network/index.ts'

export const NODE_VERSION = '0.1.0'

export type StartNodeParameters = Partial<NodeConfig> & {
  /** A JSON node config file (keys of NodeConfig); default VERITY_CONFIG. Explicit parameters win over it. */
  configFile?: string | undefined
  onSeedProgress?: (message: string) => void
  /** Models to seed when seedSamples is on; default @verity/samples. */
  samples?: readonly SampleModel[]
  /** Where logs go (default stdout). */
  logStream?: NodeJS.WritableStream
  /** The built explorer served at `/` (default: VERITY_EXPLORER_DIR, else packages/explorer/dist); null to serve none. */
  explorerDir?: string | null
  /** Other nodes for GET /v1/network (e.g. the chain registry's view). */
  networkView?: NetworkPort
  /** Join a chain: register, heartbeat, settle receipts, fetch missing models from peers. */
  network?: NodeNetworkOptions
}

export type RunningNode = {
  url: string
  address: NodeKey['address']
  keyPath: string
  /** The memory API's admin key file (0600), or null when memory is off. */
  adminKeyPath: string | null
  dataDir: string
  databaseKind: Database['kind']
  config: NodeConfig
  models: Array<{ ref: string; cid: string; exampleInput: TensorMapJson }>
  app: FastifyInstance
  hub: Hub
  runtime: Runtime
  receipts: ReceiptStore
  /** Present when started with `network`. */
  network: NetworkAgent | null
  /** The node's TEE attestation (config tee), null without one. */
  attestation: NodeAttestor | null
  close(): Promise<void>
}

export function ioSchema(d: ModelDescription | null): IoSchema | null {
  if (!d) return null
  const spec = (s: ModelDescription['inputs'][number]) => ({ name: s.name, dtype: s.dtype, shape: s.shape })
  return { inputs: d.inputs.map(spec), outputs: d.outputs.map(spec), operators: d.operators, parameterCount: d.parameterCount, opsets: d.opsets }
}

const fileJson = (f: FileInfo): FileJson => ({ path: f.path, cid: f.cid, size: f.size, mediaType: f.mediaType, schema: ioSchema(f.onnx) })
const releaseJson = (r: ReleaseInfo, files: FileInfo[]): ReleaseJson => ({
  release: r.version, published: r.published, createdAt: r.createdAt, publishedAt: r.publishedAt, files: files.map(fileJson),
})
const repositoryJson = (r: Repository, latestRelease: string | null): RepositoryJson => ({
  owner: r.owner, name: r.name, description: r.description, task: r.task ?? '', license: r.license ?? 'unknown', tags: r.tags,
  visibility: r.visibility, createdAt: r.createdAt, updatedAt: r.updatedAt, downloads: r.downloads, latestRelease,
})
const cardJson = async (c: ModelCard, zkml?: Pick<ZkmlService, 'releaseVkHash'>): Promise<ModelCardJson> => ({
  ...repositoryJson(c.repository, c.releases.find((r) => r.published)?.version ?? null),
  downloads: c.downloads,
  // vkHash: the release carries a ZKML setup (zk/vk.json) whose verification key hashes to this.
  releases: await Promise.all(c.releases.map(async (r) => ({ ...releaseJson(r, r.files), vkHash: ((await zkml?.releaseVkHash(r.files)) ?? null) as Hex | null }))),
})

/** The hub seen through the HTTP layer's port, in wire types. */
export function hubPort(hub: Hub, zkml?: Pick<ZkmlService, 'releaseVkHash'>): HubPort {
  return {
    async createRepository(p) {
      return repositoryJson(await hub.createRepository({ repo: `${p.owner}/${p.name}`, description: p.description, task: p.task, license: p.license, tags: p.tags, visibility: p.visibility }), null)
    },
    async modelCard(owner, name) {
      return cardJson(await hub.getModelCard(`${owner}/${name}`), zkml)
    },
    async createRelease(p) {
      return releaseJson(await hub.createRelease({ repo: `${p.owner}/${p.name}`, version: p.release, notes: p.notes }), [])
    },
    async publishRelease(p) {
      const repo = `${p.owner}/${p.name}`
      const rel = await hub.publishRelease({ repo, version: p.release })
      return releaseJson(rel, await hub.listFiles({ repo, version: p.release }))
    },
    async uploadFile(p) {
      return fileJson(await hub.pushFile({ repo: `${p.owner}/${p.name}`, version: p.release, path: p.path, source: p.source, expectedCid: p.expectedCid }))
    },
    async listFiles(p) {
      return (await hub.listFiles({ repo: `${p.owner}/${p.name}`, version: p.release })).map(fileJson)
    },
    async openBlob(cid) {
      const blob = await hub.openBlob(cid)
      return { size: blob.size, stream: blob.stream }
    },
    async search(p) {
      const page = await hub.search({ text: p.q, task: p.task, tags: p.tags, owner: p.owner, sort: p.sort as never, limit: p.limit, cursor: p.cursor })
      return { items: page.items.map((h: SearchHit) => repositoryJson(h, h.latestRelease)), nextCursor: page.nextCursor }
    },
    async countModels() {
      const row = await hub.database.db.withTables<HubTables>().selectFrom('hub_repositories').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}

/**
 * Resolves model references for inference. Published releases and CIDs never change meaning, so their
 * resolutions are cached; usage counts are summed in memory and written every few seconds instead of
 * one UPDATE per request.
 */
function createModelResolver(hub: Hub) {
  const immutable = new Map<string, { cid: string; ref: string; repo: string | null }>()
  const uses = new Map<string, number>()
  const writeUses = async () => {
    const entries = [...uses]
    uses.clear()
    for (const [repo, count] of entries) await hub.recordDownload(repo, count).catch(() => undefined)
  }
  const timer = setInterval(() => void writeUses(), 5_000)
  timer.unref()
  return {
    async resolve(ref: string): Promise<{ cid: string; ref: string }> {
      let hit = immutable.get(ref)
      if (!hit) {
        const r = await hub.resolveModel(ref)
        hit = { cid: r.cid, ref: r.repo ? `${r.repo}@${r.release}` : r.cid, repo: r.repo }
        if (r.repo === null || r.published === true && ref.includes('@')) {
          if (immutable.size >= 10_000) immutable.delete(immutable.keys().next().value!)
          immutable.set(ref, hit)
        }
      }
      if (hit.repo) uses.set(hit.repo, (uses.get(hit.repo) ?? 0) + 1)
      return { cid: hit.cid, ref: hit.ref }
    },
    async flush(): Promise<void> {
      clearInterval(timer)
      await writeUses()
    },
  }
}

/**
 * Agent memory on this node: its tables in the node's database (migration namespace `memory`),
 * provenance entries signed with the node key, an admin API key in `<dataDir>/admin.key` (0600).
 */
async function openMemory(config: NodeConfig, key: NodeKey, database: Database) {
  const store = await createMemoryStore({ database })
  const llm = config.memoryLlmUrl && config.memoryLlmModel
    ? createOpenAiLlm({ baseUrl: config.memoryLlmUrl, model: config.memoryLlmModel, apiKey: process.env.VERITY_MEMORY_LLM_API_KEY })
    : undefined
  const embedder = config.memoryEmbedder === 'hashing' ? createHashingEmbedder() : createSentenceEncoder()
  const service = createMemoryService({ store, signer: createLocalSigner(key.privateKey), llm, embedder })
  const adminKeyPath = join(config.dataDir, 'admin.key')
  const auth = createAuth({ store, adminKey: ensureAdminKey(config.dataDir) })
  return {
    service, auth, adminKeyPath,
    async close() {
      await service.close()
      await embedder.close?.()
      await store.close()
    },
  }
}

export async function startNode(parameters: StartNodeParameters = {}): Promise<RunningNode> {
  // On a chain, receipts are signed under its EIP-712 domain unless told otherwise.
  const config = resolveConfig({ ...parameters, chainId: parameters.chainId ?? parameters.network?.deployment.chainId })
  const fault = faultFromEnv()
  const key = loadOrCreateNodeKey(config.dataDir)
  const signer = createReceiptSigner(key.privateKey)
  const database = config.databaseUrl ? await openDatabase({ databaseUrl: config.databaseUrl }) : await openDatabase({ dataDir: config.dataDir })
  const closers: Array<() => Promise<void>> = [() => database.close()]
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined)
  }
  try {
    const hub = await createHub({ dataDir: config.dataDir, database, maxUploadBytes: config.maxUploadBytes })
    closers.push(() => hub.close())
    let appLog: { error: (object: object, message: string) => void } | null = null
    const receipts = await createReceiptStore(database, {
      durability: config.receiptDurability,
      onCommitError: (error, ids) => appLog?.error({ err: error, ids }, 'receipts answered to clients failed to commit'),
    })
    closers.push(() => receipts.flush())
    // Orphan blobs (uploads interrupted by a crash) and PGlite's dead rows are cleaned hourly.
    const gcTimer = setInterval(() => void hub.gc().catch(() => undefined), 3_600_000)
    gcTimer.unref()
    closers.push(async () => clearInterval(gcTimer))
    let agent: NetworkAgent | null = null
    const fromPeers = createPeerFetcher({
      peers: async () => [...(agent ? await agent.peers() : parameters.network?.peers ?? [])],
      store: async (bytes, cid) => { await hub.uploadBlob(bytes, { expectedCid: cid }) },
    })
    const runtime = createRuntime({
      loadModel: async (cid) => ((await hub.hasBlob(cid)) ? hub.readBlob(cid) : (await fromPeers(cid)) ?? hub.readBlob(cid)),
      workers: config.workers,
      cacheBytes: config.sessionCacheBytes,
      defaultTimeoutMs: config.inferTimeoutMs,
      inputLimits: { allowNonFinite: config.allowNonFinite, maxTotalBytes: config.maxInputBytes },
    })
    closers.push(() => runtime.close())

    const models: RunningNode['models'] = []
    if (config.seedSamples) {
      const samples = parameters.samples ?? sampleModels
      parameters.onSeedProgress?.(samples.map((s) => s.repo).join(', '))
      await seedSamples(hub, samples)
      for (const s of samples) models.push({ ref: `${s.repo}@${s.release}`, cid: (await hub.resolveModel(`${s.repo}@${s.release}`)).cid, exampleInput: s.exampleInput() })
    }

    const inputLimits = { allowNonFinite: config.allowNonFinite, maxTotalBytes: config.maxInputBytes }
    let attestor: NodeAttestor | null = null
    const memory = config.memory ? await openMemory(config, key, database) : null
    if (memory) closers.push(memory.close)
    const resolver = createModelResolver(hub)
    closers.push(() => resolver.flush())
    const resolveModel = async (ref: string) => {
      try {
        return await resolver.resolve(ref)
      } catch (error) {
        // A model by CID that this hub lacks may be on a peer: fetch it (digest checked), then retry.
        const parsed = error instanceof VerityError && error.code === 'MODEL_NOT_FOUND' ? parseModelRef(ref) : null
        if (parsed?.kind !== 'cid' || (await fromPeers(parsed.cid)) === null) throw error
        return resolver.resolve(ref)
      }
    }
    const prepare = async (cid: string, raw: Record<string, unknown>) => prepareInputs(await runtime.describe(cid), raw, inputLimits)
    const run = withFault(fault, async (cid: string, inputs: TensorMap, timeoutMs: number) => (await runtime.run({ cid, inputs, timeoutMs })).outputs)
    const now = () => agent?.now() ?? Date.now()
    const zkml = createZkmlService({
      hub, dataDir: config.dataDir, key, chainId: config.chainId, workers: config.zkWorkers, waitBudgetMs: config.zkWaitMs,
      resolveModel, prepareInputs: prepare, run, saveReceipt: (entry) => receipts.save(entry), defaultTimeoutMs: config.inferTimeoutMs, now,
    })
    closers.push(() => zkml.close())
    /**
     * The settlement a request asked for. Individual settles now; when that fails the receipt joins
     * the node's next Merkle batch instead (it is never left unsettled), and the answer says both.
     */
    const settleAsAsked = async (mode: LlmSettlementMode, receipt: Receipt, signature: Hex): Promise<LlmSettlementJson> => {
      if (mode !== 'individual') return { mode }
      try {
        if (fault?.kind === 'individual-settlement-fails') throw new Error('test fault: individual settlement fails')
        return { mode, status: 'settled', tx: (await agent!.settleReceipt(receipt, signature)).tx }
      } catch (error) {
        app.log.warn({ err: error }, 'individual settlement failed; the receipt goes into the next batch')
        await receipts.setSettlement(receiptDigest(receipt), 'batch')
        return { mode, status: 'failed', error: (error as Error).message.split('\n')[0]!, fallback: 'batch' }
      }
    }
    const app = await buildApp({
      hub: hubPort(hub, zkml),
      maxInputBytes: config.maxInputBytes,
      logger: { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'], ...(parameters.logStream ? { stream: parameters.logStream } : {}) },
      stats: { receiptsPerMinute: (q) => receipts.stats(q), receiptCount: () => receipts.count() },
      // Other nodes: as given, else the chain registry's active nodes once the network agent runs.
      network: parameters.networkView ?? { knownNodes: async () => (agent ? agent.knownNodes() : { nodes: [] }) },
      ...(memory ? { memory: { service: memory.service, auth: memory.auth } } : {}),
      explorerDir: parameters.explorerDir === undefined ? (process.env.VERITY_EXPLORER_DIR ?? defaultExplorerDir) : parameters.explorerDir,
      ...(parameters.network ? { explorerChain: { rpcUrl: parameters.network.rpcUrl, chainId: parameters.network.deployment.chainId, nodeRegistry: parameters.network.deployment.nodeRegistry, settlement: parameters.network.deployment.settlement, deployedAtBlock: parameters.network.deployment.deployedAtBlock } } : {}),
      health: async () => ({
        version: NODE_VERSION, address: key.address, chainId: config.chainId, modes: ['VANILLA', 'QUORUM', ...zkml.modes, ...(attestor ? ['TEE' as const] : [])],
        ...(agent ? { network: await agent.status() } : {}),
      }),
      inference: {
        infer: async (request, encoding) => {
          if (request.mode === 'zkml') {
            const proven = await zkml.infer(request)
            return encoding === 'binary' && !('status' in proven) ? binaryResultOf(proven) : proven
          }
          const settlement = request.settlement
          if (settlement === 'individual' && agent === null) throw new VerityError('SETTLEMENT_UNAVAILABLE', 'settlement "individual": this node is on no chain, so it cannot settle a receipt alone.', { details: { field: 'settlement' } })
          const result = await runInference({
            key, signer, chainId: config.chainId, defaultTimeoutMs: config.inferTimeoutMs, resolveModel, prepareInputs: prepare, run, now,
            whileRunning: receipts.commitWaiting,
            saveReceipt: (entry) => receipts.save({ ...entry, settlement }),
            attestation: attestor ? () => attestor!.current() : undefined,
          }, request, encoding)
          if (settlement === undefined) return result
          if ('head' in result) return { ...result, head: { ...result.head, settlement: await settleAsAsked(settlement, result.head.receipt, result.head.signature) } }
          return { ...result, settlement: await settleAsAsked(settlement, result.receipt, result.signature) }
        },
        getReceipt: (id) => receipts.get(id),
      },
    })
    appLog = app.log
    registerNetworkRoutes(app, () => agent)
    registerZkmlRoutes(app, zkml)
    registerAttestationRoutes(app, { address: key.address, attestor: () => attestor })
    registerLlmRoutes(app, {
      gateway: createNodeLlmGateway({
        providers: config.llmProviders, timeoutMs: config.llmTimeoutMs, maxRetries: config.llmMaxRetries,
        // Gateway events carry no keys (it scrubs them); they are debug detail.
        log: (event) => app.log.debug(event, `llm ${event.event}`),
      }),
      attestor: () => attestor, key, chainId: config.chainId, now,
      saveReceipt: (entry) => receipts.save(entry), settle: settleAsAsked, onChain: () => agent !== null,
    })
    // Attest before listening: a node configured for a TEE that cannot attest must not start.
    attestor = await startNodeAttestation({
      setting: config.tee, address: key.address, refreshMs: config.teeRefreshSeconds * 1000, nitroHelper: config.teeNitroHelper, devMeasurement: config.teeDevMeasurement,
      bindAddress: fault?.kind === 'tee-wrong-key' ? unrelatedAddress() : undefined, log: app.log,
    })
    if (attestor) closers.push(async () => attestor!.close())
    closers.push(() => app.close())
    const address = await app.listen({ host: config.host, port: config.port })
    const url = address.replace('[::1]', '127.0.0.1')
    if (parameters.network) {
      agent = await startNetworkAgent({
        options: parameters.network, key, database, url, log: app.log, hooks: crashHooks(fault),
        measurement: attestor ? (await attestor.current()).measurement : undefined,
      })
      // The shutdown settlement must see every answered receipt: stop taking requests, commit the
      // receipts still waiting for their group, then settle.
      closers.push(async () => {
        await app.close()
        await receipts.flush()
        await agent!.close()
      })
    }
    app.log.info({ address: key.address, keyCreated: key.created, dataDir: config.dataDir, database: database.kind }, 'verity node listening')
    return {
      url, address: key.address, keyPath: key.path, adminKeyPath: memory?.adminKeyPath ?? null, dataDir: config.dataDir, databaseKind: database.kind, config, models,
      app, hub, runtime, receipts, network: agent, attestation: attestor, close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
