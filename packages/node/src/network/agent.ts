/**
 * The node's life on chain: register its signing key with stake if it is not registered yet, keep the
 * registration fresh with heartbeats (well inside the registry's heartbeat window), and settle its
 * receipts in Merkle batches on a schedule and on shutdown. Every transaction from the node key goes
 * through one queue, so heartbeats and batch posts never race for a nonce.
 */
import {
  createVerityClient, getActiveNodes, getNode, heartbeat, registerNode, setNodeEndpoint, settleReceipt, type NodeInfo, type VerityClient, type VerityDeployment,
} from '@verity/chain'
import { zeroHash } from 'viem'
import { sameAddress, type Hex, type InclusionResponse, type NetworkResponse, type NodeNetworkStatus, type Receipt } from '@verity/protocol'
import type { Database } from '@verity/db'
import type { NodeKey } from '../key.ts'
import { createSettlementQueue, type SettlementHooks, type SettleReturnType } from './settlement.ts'

export type NodeNetworkOptions = {
  rpcUrl: string
  deployment: VerityDeployment
  /** The URL other nodes and clients reach this node at; default the URL it listens on. */
  endpoint?: string | undefined
  /** Stake in wei to register with; default the registry's minimum stake. */
  stake?: bigint | undefined
  /** Default a third of the registry's heartbeat window, at most 60 s. */
  heartbeatMs?: number | undefined
  /** How often receipts are batched and their root posted; default 60 s. */
  settleIntervalMs?: number | undefined
  /** Most receipts per batch; default 1000. */
  batchMax?: number | undefined
  /** Extra peers to fetch models from (besides the registry's active nodes). */
  peers?: readonly string[] | undefined
}

export type NetworkAgent = {
  client: VerityClient
  status(): Promise<NodeNetworkStatus>
  inclusion(id: Hex): Promise<InclusionResponse>
  /** Batches and posts every unsettled receipt now. */
  settleNow(): Promise<SettleReturnType>
  /** Settles one receipt alone (Settlement.settleReceipt), in the node's transaction queue. */
  settleReceipt(receipt: Receipt, signature: Hex): Promise<{ tx: Hex }>
  /** Base URLs of other active nodes (and configured peers). */
  peers(): Promise<string[]>
  /** The registry and its active nodes, for GET /v1/network (read at most every 5 s). */
  knownNodes(): Promise<NetworkResponse>
  /**
   * Milliseconds for receipt timestamps: the wall clock, or the chain's clock when that runs ahead
   * (a local chain mining many blocks a second does), so a receipt is never dated before the
   * registration the chain recorded for its signer.
   */
  now(): number
  /** Stops the timers, then settles what is pending (errors are logged, not thrown). */
  close(): Promise<void>
}

type Log = { info: (o: object, m: string) => void; warn: (o: object, m: string) => void }

export async function startNetworkAgent(p: {
  options: NodeNetworkOptions
  key: NodeKey
  database: Database
  url: string
  log: Log
  hooks?: SettlementHooks
  /** The TEE measurement hash to register with (nodes with a TEE); must be allow-listed on chain. */
  measurement?: Hex | undefined
}): Promise<NetworkAgent> {
  const { options, key, log } = p
  const client = createVerityClient({ rpcUrl: options.rpcUrl, deployment: options.deployment, account: key.privateKey })
  const queue = await createSettlementQueue(p.database, { signer: key.address, batchMax: options.batchMax, hooks: p.hooks })
  const endpoint = options.endpoint ?? p.url
  let lastError: string | null = null
  let chainAheadMs = 0
  const syncClock = async () => {
    try {
      const block = await client.publicClient.getBlock()
      chainAheadMs = Math.max(0, Number(block.timestamp) * 1000 - Date.now())
    } catch { /* keep the last offset */ }
  }
  let lastHeartbeat: number | null = null
  let registered = false
  let tail: Promise<unknown> = Promise.resolve()
  /** Runs transactions from the node key one at a time. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn)
    tail = next.catch(() => undefined)
    return next
  }

  const chainId = await client.publicClient.getChainId().catch((cause: unknown) => {
    throw Object.assign(new Error(`Cannot reach the chain at ${options.rpcUrl}: ${(cause as Error).message}`), { cause })
  })
  if (chainId !== options.deployment.chainId) throw new Error(`The chain at ${options.rpcUrl} has id ${chainId}, but the deployment is for chain ${options.deployment.chainId}`)

  const existing = await getNode(client, { signer: key.address })
  if (existing === null) {
    const stake = options.stake ?? BigInt(options.deployment.parameters.minStake)
    const r = await serial(() => registerNode(client, { endpoint, stake, measurement: p.measurement }))
    log.info({ address: key.address, stake: stake.toString(), tx: r.hash, measurement: p.measurement }, 'registered on chain')
  } else if ((p.measurement ?? zeroHash) !== existing.measurement) {
    // The registry binds a measurement at registration, for good: new code means a new node key.
    log.warn({ address: key.address, registered: existing.measurement, running: p.measurement ?? zeroHash },
      'this node key is registered with a different TEE measurement than the code now running: the attestation verifier will record it invalid; register a new key for the new build')
  }
  if (existing !== null && (existing.slashedAt !== 0 || existing.leftAt !== 0)) {
    log.warn({ address: key.address, slashedAt: existing.slashedAt, leftAt: existing.leftAt }, 'this node key was slashed or left the registry; it cannot serve on chain again')
  } else if (existing !== null && existing.endpoint !== endpoint) {
    await serial(() => setNodeEndpoint(client, { endpoint }))
    log.info({ endpoint }, 'updated registered endpoint')
  }
  registered = true
  await syncClock()

  const beat = async () => {
    try {
      await serial(() => heartbeat(client))
      lastHeartbeat = Math.floor(Date.now() / 1000)
      await syncClock()
    } catch (error) {
      lastError = `heartbeat: ${(error as Error).message}`
      log.warn({ err: error }, 'heartbeat failed')
    }
  }
  const settle = async (): Promise<SettleReturnType> => {
    const result = await serial(() => queue.settle(client))
    for (const b of result.posted) log.info({ root: b.root, count: b.count, tx: b.tx, alreadyOnChain: b.alreadyOnChain }, 'settlement batch posted')
    lastError = null
    return result
  }
  const settleQuietly = async () => {
    try {
      await settle()
    } catch (error) {
      lastError = `settlement: ${(error as Error).message}`
      log.warn({ err: error }, 'settlement failed; will retry')
    }
  }

  if (existing !== null) await beat()
  else lastHeartbeat = Math.floor(Date.now() / 1000)
  // A restarted node first finishes what it had pending.
  await settleQuietly()

  const heartbeatMs = options.heartbeatMs ?? Math.min(60_000, Math.max(1000, (options.deployment.parameters.heartbeatWindow * 1000) / 3))
  const heartbeatTimer = setInterval(() => { void beat() }, heartbeatMs)
  const settleTimer = setInterval(() => { void settleQuietly() }, options.settleIntervalMs ?? 60_000)
  heartbeatTimer.unref()
  settleTimer.unref()

  // The registry's active nodes, read at most every 5 s (a failed read is not kept): model fetches
  // from peers and GET /v1/network share it.
  let activeCache: { at: number; nodes: Promise<NodeInfo[]> } | null = null
  const activeNodes = (): Promise<NodeInfo[]> => {
    if (activeCache !== null && Date.now() - activeCache.at < 5_000) return activeCache.nodes
    const nodes = getActiveNodes(client)
    nodes.catch(() => { activeCache = null })
    activeCache = { at: Date.now(), nodes }
    return nodes
  }
  const peers = async (): Promise<string[]> => {
    let fromChain: string[] = []
    try {
      fromChain = (await activeNodes()).filter((n) => !sameAddress(n.signer, key.address)).map((n) => n.endpoint)
    } catch (error) {
      log.warn({ err: error }, 'cannot list peers from the registry')
    }
    return [...new Set([...(options.peers ?? []), ...fromChain])].filter((u) => u !== endpoint && u !== p.url)
  }
  const knownNodes = async (): Promise<NetworkResponse> => {
    const nodes = await activeNodes()
    const nowSeconds = Math.floor((Date.now() + chainAheadMs) / 1000)
    return {
      registry: { chainId, address: options.deployment.nodeRegistry },
      nodes: nodes.map((n) => ({
        address: n.signer, self: false, endpoint: n.endpoint, chainId, stake: n.stake.toString(), heartbeatAgeSeconds: Math.max(0, nowSeconds - n.lastHeartbeat),
      })),
    }
  }

  return {
    client,
    knownNodes,
    async status() {
      const node = await getNode(client, { signer: key.address }).catch(() => null)
      return {
        rpcUrl: options.rpcUrl, chainId, registry: options.deployment.nodeRegistry,
        registered: registered && node !== null, active: node?.active ?? false, stake: (node?.stake ?? 0n).toString(),
        lastHeartbeat: node?.lastHeartbeat ?? lastHeartbeat,
        settlement: { ...(await queue.status()), lastError },
      }
    },
    inclusion: (id) => queue.inclusion(id),
    now: () => Date.now() + chainAheadMs,
    settleNow: settle,
    settleReceipt: async (receipt, signature) => ({ tx: (await serial(() => settleReceipt(client, { receipt, signature }))).hash }),
    peers,
    async close() {
      clearInterval(heartbeatTimer)
      clearInterval(settleTimer)
      await settleQuietly()
    },
  }
}
