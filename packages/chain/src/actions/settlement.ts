/** Settlement actions: single receipts, ZKML receipts, Merkle batches, inclusion checks. */
import { decodeEventLog, type Address, type Hex } from 'viem'
import { Settlement } from '@verity/contracts'
import { receiptDigest, VerityError, type Receipt } from '@verity/protocol'
import { readAction, readLogsInWindows, writeAction, type VerityClient, type WriteResult } from '../client.ts'
import { toContractReceipt, type Groth16Proof } from '../receipt.ts'

const abi = Settlement.abi
const C = 'Settlement'

function sameChain(client: VerityClient, action: string, receipt: Receipt): void {
  if (receipt.chainId !== client.deployment.chainId) {
    throw new VerityError('VERIFICATION_FAILED', `${action}: the receipt was signed for chain ${receipt.chainId} and cannot settle on chain ${client.deployment.chainId}`, {
      details: { action, receiptChainId: receipt.chainId, chainId: client.deployment.chainId },
    })
  }
}

/** Settles one receipt with its EIP-712 signature checked on chain. @throws VerityError (AlreadySettled, WrongSigner, SignerNotRegistered, ...) */
export async function settleReceipt(client: VerityClient, params: { receipt: Receipt; signature: Hex }): Promise<WriteResult & { digest: Hex }> {
  sameChain(client, 'settleReceipt', params.receipt)
  const result = await writeAction(client, 'settleReceipt', C, (w) => w.writeContract({
    address: client.deployment.settlement, abi, functionName: 'settleReceipt', args: [toContractReceipt(params.receipt), params.signature],
  }))
  return { ...result, digest: receiptDigest(params.receipt) }
}

/** Settles a ZKML receipt after the model's registered Groth16 verifier accepts its proof. */
export async function settleZkReceipt(client: VerityClient, params: { receipt: Receipt; signature: Hex; proof: Groth16Proof }): Promise<WriteResult & { digest: Hex }> {
  sameChain(client, 'settleZkReceipt', params.receipt)
  const result = await writeAction(client, 'settleZkReceipt', C, (w) => w.writeContract({
    address: client.deployment.settlement, abi, functionName: 'settleZkReceipt', args: [toContractReceipt(params.receipt), params.signature, params.proof],
  }))
  return { ...result, digest: receiptDigest(params.receipt) }
}

/** Checks a ZKML receipt's proof on chain (read only). @throws VerityError when not ZKML, no verifier, or proofHash differs. */
export async function verifyZkReceipt(client: VerityClient, params: { receipt: Receipt; proof: Groth16Proof }): Promise<boolean> {
  return readAction('verifyZkReceipt', C, () => client.publicClient.readContract({ address: client.deployment.settlement, abi, functionName: 'verifyZkReceipt', args: [toContractReceipt(params.receipt), params.proof] }))
}

/** Checks a receipt as settleReceipt would (read only); resolves to its digest or throws the reason. */
export async function checkReceipt(client: VerityClient, params: { receipt: Receipt; signature: Hex }): Promise<Hex> {
  sameChain(client, 'checkReceipt', params.receipt)
  return readAction('checkReceipt', C, () => client.publicClient.readContract({ address: client.deployment.settlement, abi, functionName: 'checkReceipt', args: [toContractReceipt(params.receipt), params.signature] }))
}

/** Posts a Merkle root over `count` receipts (packages/protocol merkleRoot of merkleLeaf(digest)); the account must be a registered node. */
export async function settleBatch(client: VerityClient, params: { root: Hex; count: number }): Promise<WriteResult> {
  if (!Number.isInteger(params.count) || params.count < 1 || params.count > 0xffffffff) {
    throw new VerityError('BAD_REQUEST', `settleBatch: count must be an integer 1..2^32-1, got ${params.count}`, { details: { count: params.count } })
  }
  return writeAction(client, 'settleBatch', C, (w) => w.writeContract({ address: client.deployment.settlement, abi, functionName: 'settleBatch', args: [params.root, params.count] }))
}

export async function isReceiptSettled(client: VerityClient, params: { digest: Hex }): Promise<boolean> {
  return readAction('isReceiptSettled', C, () => client.publicClient.readContract({ address: client.deployment.settlement, abi, functionName: 'isReceiptSettled', args: [params.digest] }))
}

export type SettledReceiptInfo = { settledAt: number; node: Address; zkVerified: boolean }

export async function getSettledReceipt(client: VerityClient, params: { digest: Hex }): Promise<SettledReceiptInfo | null> {
  const [settledAt, node, zkVerified] = await readAction('getSettledReceipt', C, () => client.publicClient.readContract({ address: client.deployment.settlement, abi, functionName: 'settled', args: [params.digest] }))
  return settledAt === 0n ? null : { settledAt: Number(settledAt), node, zkVerified }
}

export type BatchInfo = { node: Address; postedAt: number; count: number }

export async function getBatch(client: VerityClient, params: { root: Hex }): Promise<BatchInfo | null> {
  const [node, postedAt, count] = await readAction('getBatch', C, () => client.publicClient.readContract({ address: client.deployment.settlement, abi, functionName: 'batches', args: [params.root] }))
  return postedAt === 0n ? null : { node, postedAt: Number(postedAt), count }
}

/** True when `root` was posted and `proof` (protocol merkleProof) leads from the receipt digest's leaf to it. */
export async function verifyInclusion(client: VerityClient, params: { digest: Hex; proof: readonly Hex[]; root: Hex }): Promise<boolean> {
  return readAction('verifyInclusion', C, () => client.publicClient.readContract({ address: client.deployment.settlement, abi, functionName: 'verifyInclusion', args: [params.digest, params.proof, params.root] }))
}

/** ReceiptSettled events from `fromBlock` (default: the deployment block). */
export async function getSettledReceiptEvents(client: VerityClient, params: { fromBlock?: bigint } = {}): Promise<Array<{ digest: Hex; node: Address; requestId: Hex; mode: number; zkVerified: boolean; blockNumber: bigint }>> {
  const logs = await readLogsInWindows(client, params.fromBlock ?? BigInt(client.deployment.deployedAtBlock), (window) => client.publicClient.getLogs({ address: client.deployment.settlement, ...window }))
  const out = []
  for (const log of logs) {
    try {
      const e = decodeEventLog({ abi, data: log.data, topics: log.topics })
      if (e.eventName === 'ReceiptSettled') out.push({ ...e.args, blockNumber: log.blockNumber })
    } catch { /* other events */ }
  }
  return out
}
