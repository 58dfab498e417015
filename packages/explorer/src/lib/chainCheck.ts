/**
 * On-chain checks in the page (loaded lazily, with viem, only for a node on a chain): the page reads
 * the NodeRegistry and Settlement contracts from the chain's RPC endpoint itself — the node only says
 * where they are (GET /v1/explorer/chain) — and verifies the receipt's Merkle inclusion locally.
 * Mirrors the SDK's checkRegistry and checkInclusion (@verity/sdk/network).
 */
import { createPublicClient, formatEther, http, keccak256, parseAbi, stringToHex, type Address, type Hex as ViemHex } from 'viem'
import { merkleLeaf, receiptDigest, sameAddress, verifyMerkleProof, type Hex, type InclusionResponse, type Receipt } from '@verity/protocol'
import { DEFAULT_LOG_BLOCK_RANGE, readToLatestInWindows } from '@verity/chain/logs'
import { api } from './api.ts'
import type { DisplayCheck } from './checks.ts'
import type { ExplorerChainJson } from './chainTypes.ts'

const registryAbi = parseAbi([
  'struct NodeView { address signer; address operator; string endpoint; uint256 stake; uint64 registeredAt; uint64 lastHeartbeat; uint64 leftAt; uint64 slashedAt; bytes32 measurement; bool active; }',
  'function getNode(address signer) view returns (NodeView v)',
  'function wasActiveAt(address signer, uint64 timestamp) view returns (bool)',
  'function isAttested(address signer) view returns (bool)',
  'function attestations(address signer) view returns (bytes32 measurement, bytes32 reportHash, uint64 verifiedAt, bool valid)',
  'event NodeSlashed(address indexed signer, address indexed challenger, uint256 amount, uint256 reward, bytes32 reason)',
])
const settlementAbi = parseAbi([
  'function batches(bytes32 root) view returns (address node, uint64 postedAt, uint32 count)',
  'event BatchSettled(bytes32 indexed root, address indexed node, uint32 count)',
])

const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`
const when = (s: number | bigint) => new Date(Number(s) * 1000).toISOString().replace('.000Z', 'Z')

export function chainClient(chain: ExplorerChainJson) {
  return createPublicClient({ transport: http(chain.rpcUrl, { retryCount: 0, timeout: 10_000 }) })
}

export type NodeOnChain = { stake: bigint; registeredAt: number; lastHeartbeat: number; leftAt: number; slashedAt: number; active: boolean; endpoint: string; measurement: Hex }

export async function readNode(chain: ExplorerChainJson, signer: string): Promise<NodeOnChain | null> {
  const v = await chainClient(chain).readContract({ address: chain.nodeRegistry as Address, abi: registryAbi, functionName: 'getNode', args: [signer as Address] })
  if (v.registeredAt === 0n) return null
  return { stake: v.stake, registeredAt: Number(v.registeredAt), lastHeartbeat: Number(v.lastHeartbeat), leftAt: Number(v.leftAt), slashedAt: Number(v.slashedAt), active: v.active, endpoint: v.endpoint, measurement: v.measurement as Hex }
}

const slashReasons: Record<string, string> = Object.fromEntries(['EQUIVOCATION', 'OUTVOTED'].map((r) => [keccak256(stringToHex(r)), r.toLowerCase()]))

export type NodeStanding = {
  /** NodeRegistry.isAttested: the latest recorded attestation verified, for the measurement it registered, still allowed. */
  attested: boolean
  /** The latest attestation verdict the chain's verifier recorded; null when none was. */
  attestation: { valid: boolean; verifiedAt: number; measurement: Hex } | null
  /** Every NodeSlashed event for this node: each is a dispute proven against it on chain. */
  slashes: Array<{ amount: bigint; reason: string; block: bigint; tx: Hex }>
}

/** The node's attestation verdict and its slashes (proven disputes), read from the registry's state and events. */
export async function readStanding(chain: ExplorerChainJson, signer: string): Promise<NodeStanding> {
  const c = chainClient(chain)
  const address = chain.nodeRegistry as Address
  const slashed = registryAbi.find((x) => x.type === 'event' && x.name === 'NodeSlashed') as Extract<typeof registryAbi[number], { name: 'NodeSlashed' }>
  const [attested, [measurement, , verifiedAt, valid], logs] = await Promise.all([
    c.readContract({ address, abi: registryAbi, functionName: 'isAttested', args: [signer as Address] }),
    c.readContract({ address, abi: registryAbi, functionName: 'attestations', args: [signer as Address] }),
    // In block windows from the deployment: public RPCs refuse one eth_getLogs call over a wide range.
    readToLatestInWindows(c, BigInt(chain.deployedAtBlock), DEFAULT_LOG_BLOCK_RANGE, (window) => c.getLogs({ address, event: slashed, args: { signer: signer as Address }, ...window })),
  ])
  return {
    attested,
    attestation: verifiedAt === 0n ? null : { valid, verifiedAt: Number(verifiedAt), measurement: measurement as Hex },
    slashes: logs.map((l) => ({ amount: l.args.amount ?? 0n, reason: slashReasons[l.args.reason ?? ''] ?? short(l.args.reason ?? '0x'), block: l.blockNumber, tx: l.transactionHash as Hex })),
  }
}

/** The registry check: the signer was a registered, unslashed node in good standing when it signed. */
export async function registryCheck(chain: ExplorerChainJson, receipt: Receipt): Promise<DisplayCheck> {
  const title = 'Registered node'
  try {
    const node = await readNode(chain, receipt.node)
    const c = chainClient(chain)
    if (node === null) return { id: 'registry', title, status: 'fail', message: `On chain ${chain.chainId}, ${receipt.node} was never registered as a node.` }
    if (node.slashedAt !== 0) return { id: 'registry', title, status: 'fail', message: `On chain ${chain.chainId}, ${receipt.node} was slashed at ${when(node.slashedAt)}.` }
    const active = await c.readContract({ address: chain.nodeRegistry as Address, abi: registryAbi, functionName: 'wasActiveAt', args: [receipt.node as Address, BigInt(receipt.timestamp)] })
    return active
      ? { id: 'registry', title, status: 'pass', message: `Read from chain ${chain.chainId} (registry ${short(chain.nodeRegistry)}): node ${receipt.node} was registered, staked and active at signing time (${when(receipt.timestamp)}); stake ${formatEther(node.stake)} ETH, not slashed.` }
      : { id: 'registry', title, status: 'fail', message: `On chain ${chain.chainId}, node ${receipt.node} was not in good standing at ${when(receipt.timestamp)}, when it signed.` }
  } catch (error) {
    return { id: 'registry', title, status: 'skip', message: `The chain at ${chain.rpcUrl} could not be read from this browser: ${(error as Error).message.split('\n')[0]}` }
  }
}

/** The settlement check: the receipt's Merkle proof leads (checked here) to a root its signer posted on chain (read here). */
export async function inclusionCheck(chain: ExplorerChainJson, receipt: Receipt): Promise<DisplayCheck & { root?: Hex; tx?: Hex; block?: bigint }> {
  const title = 'Settled on chain'
  const id = receiptDigest(receipt)
  let inclusion: InclusionResponse
  try {
    inclusion = await api<InclusionResponse>(`/v1/receipts/${id}/inclusion`)
  } catch (error) {
    return { id: 'settlement', title, status: 'skip', message: `The node gave no inclusion proof: ${(error as Error).message}` }
  }
  if (!inclusion.settled || inclusion.root === null) return { id: 'settlement', title, status: 'skip', message: 'Not settled yet: the node has not posted the batch holding this receipt. Reload after its next settlement.' }
  const root = inclusion.root
  if (!verifyMerkleProof(merkleLeaf(id), inclusion.proof, root)) {
    return { id: 'settlement', title, status: 'fail', message: `The Merkle proof the node gave does not lead from this receipt to root ${short(root)}.` }
  }
  try {
    const c = chainClient(chain)
    const [node, postedAt] = await c.readContract({ address: chain.settlement as Address, abi: settlementAbi, functionName: 'batches', args: [root as ViemHex] })
    if (postedAt === 0n) return { id: 'settlement', title, status: 'fail', message: `Root ${short(root)} was never posted to the Settlement contract on chain ${chain.chainId}.` }
    if (!sameAddress(node, receipt.node)) return { id: 'settlement', title, status: 'fail', message: `Root ${short(root)} was posted by ${node}, not by the signer ${receipt.node}.` }
    const logs = await readToLatestInWindows(c, BigInt(chain.deployedAtBlock), DEFAULT_LOG_BLOCK_RANGE, (window) => c.getLogs({ address: chain.settlement as Address, event: settlementAbi[1], args: { root: root as ViemHex }, ...window }))
    const log = logs[0]
    const where = log ? ` in transaction ${log.transactionHash} at block ${log.blockNumber}` : ''
    return {
      id: 'settlement', title, status: 'pass', root, ...(log ? { tx: log.transactionHash as Hex, block: log.blockNumber } : {}),
      message: `The receipt's Merkle proof (${inclusion.proof.length} steps, checked here) leads to root ${root}, which node ${receipt.node} posted on chain ${chain.chainId}${where}, at ${when(postedAt)}.`,
    }
  } catch (error) {
    return { id: 'settlement', title, status: 'skip', message: `The chain at ${chain.rpcUrl} could not be read from this browser: ${(error as Error).message.split('\n')[0]}` }
  }
}
