/** Disputes actions: prove equivocation or an outvoted QUORUM receipt, and slash the liar. */
import type { Address } from 'viem'
import { Disputes } from '@verity/contracts'
import { writeAction, type VerityClient, type WriteResult } from '../client.ts'
import { toContractReceipt, type SignedReceipt } from '../receipt.ts'

const abi = Disputes.abi
const C = 'Disputes'

/**
 * Two QUORUM receipts signed by one node for the same request with different outputs: slashes that node;
 * the caller earns the challenger reward (claimRewards). @throws VerityError naming the failed rule.
 */
export async function openEquivocationDispute(client: VerityClient, params: { a: SignedReceipt; b: SignedReceipt }): Promise<WriteResult & { slashed: Address }> {
  const result = await writeAction(client, 'openEquivocationDispute', C, (w) => w.writeContract({
    address: client.deployment.disputes, abi, functionName: 'disputeEquivocation',
    args: [toContractReceipt(params.a.receipt), params.a.signature, toContractReceipt(params.b.receipt), params.b.signature],
  }))
  return { ...result, slashed: params.a.receipt.node }
}

/**
 * A QUORUM receipt contradicted by at least quorumThreshold receipts from other registered nodes that
 * agree with each other: slashes the contested (minority) node.
 */
export async function openQuorumDispute(client: VerityClient, params: { contested: SignedReceipt; majority: readonly SignedReceipt[] }): Promise<WriteResult & { slashed: Address }> {
  const result = await writeAction(client, 'openQuorumDispute', C, (w) => w.writeContract({
    address: client.deployment.disputes, abi, functionName: 'disputeQuorum',
    args: [toContractReceipt(params.contested.receipt), params.contested.signature, params.majority.map((m) => toContractReceipt(m.receipt)), params.majority.map((m) => m.signature)],
  }))
  return { ...result, slashed: params.contested.receipt.node }
}
