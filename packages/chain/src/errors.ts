/**
 * Turns contract reverts into VerityError with the rule that was broken in plain words. Reverts are
 * decoded against every Verity contract's custom errors, so an error raised in a nested call (e.g.
 * NodeRegistry.slash reached through Disputes) is still named.
 */
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, keccak256, toHex, type Abi, type Hex } from 'viem'
import { Disputes, ModelRegistry, NodeRegistry, Settlement } from '@verity/contracts'
import { VerityError, type ErrorCode } from '@verity/protocol'

const allErrors = [...NodeRegistry.abi, ...ModelRegistry.abi, ...Settlement.abi, ...Disputes.abi]
  .filter((e) => e.type === 'error')
  .filter((e, i, list) => list.findIndex((x) => x.name === e.name) === i) as Abi

type Args = readonly unknown[]
const eth = (wei: unknown) => `${Number(wei as bigint) / 1e18} ETH`
const time = (s: unknown) => new Date(Number(s as bigint) * 1000).toISOString()

/** Plain words and a catalogue code for each custom error of the Verity contracts. */
export const revertMessages: Record<string, { code: ErrorCode; message: (a: Args) => string }> = {
  // NodeRegistry
  InsufficientStake: { code: 'CHAIN_REVERTED', message: (a) => `Stake of ${eth(a[0])} is below the minimum of ${eth(a[1])}` },
  SignerAlreadyUsed: { code: 'ALREADY_EXISTS', message: (a) => `Signer ${a[0]} is already registered (or was, once): register a fresh signing key` },
  SignerConsentInvalid: { code: 'FORBIDDEN', message: (a) => `Signer ${a[0]} did not consent to this registration: its consent signature is missing or wrong` },
  EmptyEndpoint: { code: 'BAD_REQUEST', message: () => 'The node endpoint URL is empty' },
  MeasurementNotAllowed: { code: 'FORBIDDEN', message: (a) => `TEE measurement ${a[0]} is not on the allow-list (never allowed, or revoked)` },
  UnknownNode: { code: 'NOT_FOUND', message: (a) => `No node is registered with signer ${a[0]}` },
  NotOperator: { code: 'FORBIDDEN', message: (a) => `${a[0]} is not the operator of node ${a[1]}` },
  NodeHasLeft: { code: 'CHAIN_REVERTED', message: (a) => `Node ${a[0]} has left the network` },
  NodeIsSlashed: { code: 'CHAIN_REVERTED', message: (a) => `Node ${a[0]} has been slashed` },
  NodeNotLeaving: { code: 'CHAIN_REVERTED', message: (a) => `Node ${a[0]} has not left: call leaveNode first, then withdraw after the unbonding delay` },
  StillUnbonding: { code: 'CHAIN_REVERTED', message: (a) => `Stake of node ${a[0]} is unbonding until ${time(a[1])}` },
  NothingToWithdraw: { code: 'CHAIN_REVERTED', message: (a) => `Node ${a[0]} has no stake left to withdraw` },
  NotDisputes: { code: 'FORBIDDEN', message: (a) => `${a[0]} may not slash: only the Disputes contract can` },
  DisputesAlreadyBound: { code: 'ALREADY_EXISTS', message: (a) => `The Disputes contract is already bound (${a[0]})` },
  TransferFailed: { code: 'CHAIN_REVERTED', message: (a) => `Sending ${eth(a[1])} to ${a[0]} failed` },
  NothingToClaim: { code: 'CHAIN_REVERTED', message: (a) => `${a[0]} has nothing to claim` },
  InvalidParameter: { code: 'BAD_REQUEST', message: (a) => `Invalid contract parameter ${String(a[0])}` },
  AccessControlUnauthorizedAccount: { code: 'FORBIDDEN', message: (a) => `${a[0]} lacks the role ${roleName(a[1] as Hex)}` },
  AccessControlBadConfirmation: { code: 'BAD_REQUEST', message: () => 'renounceRole must name the calling account itself' },
  ReentrancyGuardReentrantCall: { code: 'CHAIN_REVERTED', message: () => 'Re-entrant call rejected' },
  // ModelRegistry
  RepositoryExists: { code: 'ALREADY_EXISTS', message: (a) => `Repository ${a[0]} already exists on chain` },
  UnknownRepository: { code: 'NOT_FOUND', message: (a) => `Repository ${a[0]} does not exist on chain: create it first` },
  NotRepositoryOwner: { code: 'FORBIDDEN', message: (a) => `${a[0]} does not own repository ${a[1]}` },
  ReleaseExists: { code: 'RELEASE_PUBLISHED', message: (a) => `Release ${a[0]}@${a[1]} is already published and cannot change` },
  UnknownRelease: { code: 'NOT_FOUND', message: (a) => `Release ${a[0]}@${a[1]} is not published on chain` },
  EmptyName: { code: 'INVALID_NAME', message: () => 'Repository and release names must not be empty' },
  NoFiles: { code: 'BAD_REQUEST', message: () => 'A release needs at least one file digest' },
  VerifierWithoutKey: { code: 'BAD_REQUEST', message: () => 'A release with a ZK verifier needs its verification key hash' },
  // Settlement
  AlreadySettled: { code: 'ALREADY_EXISTS', message: (a) => `Receipt ${a[0]} is already settled` },
  BadSignature: { code: 'VERIFICATION_FAILED', message: (a) => `The signature on receipt ${a[0]} is malformed or has a high s value` },
  WrongSigner: { code: 'VERIFICATION_FAILED', message: (a) => `The receipt is signed by ${a[0]}, not by its node ${a[1]}` },
  SignerNotRegistered: { code: 'FORBIDDEN', message: (a) => `Signer ${a[0]} was not a registered node in good standing at ${time(a[1])}` },
  TimestampInFuture: { code: 'BAD_REQUEST', message: (a) => `Receipt timestamp ${time(a[0])} is ahead of the chain clock ${time(a[1])}` },
  RootAlreadyPosted: { code: 'ALREADY_EXISTS', message: (a) => `Merkle root ${a[0]} is already settled` },
  EmptyBatch: { code: 'BAD_REQUEST', message: () => 'A batch must hold at least one receipt' },
  NotARegisteredNode: { code: 'FORBIDDEN', message: (a) => `${a[0]} is not a registered node in good standing, so it cannot post batches` },
  NotZkml: { code: 'BAD_REQUEST', message: (a) => `Receipt mode ${a[0]} is not ZKML` },
  NoVerifier: { code: 'NOT_FOUND', message: (a) => `No ZK verifier is registered for model digest ${a[0]}` },
  ProofHashMismatch: { code: 'VERIFICATION_FAILED', message: (a) => `The receipt commits to proof ${a[0]} but the proof given hashes to ${a[1]}` },
  ProofInvalid: { code: 'VERIFICATION_FAILED', message: (a) => `The ZK proof for receipt ${a[0]} does not verify` },
  // Disputes
  ChallengeWindowClosed: { code: 'CHAIN_REVERTED', message: (a) => `The challenge window for receipt ${a[0]} closed at ${time(a[1])}` },
  DifferentSigners: { code: 'BAD_REQUEST', message: (a) => `Equivocation needs two receipts from one node, got ${a[0]} and ${a[1]}` },
  DuplicateSigner: { code: 'BAD_REQUEST', message: (a) => `Node ${a[0]} appears twice (or is the contested node) in the quorum` },
  MajorityDisagrees: { code: 'BAD_REQUEST', message: (a) => `Majority receipt ${a[0]} has a different output hash from the rest of the quorum` },
  NotQuorumMode: { code: 'BAD_REQUEST', message: (a) => `Receipt ${a[0]} is mode ${a[1]}, but disputes need QUORUM receipts` },
  NotRegistered: { code: 'FORBIDDEN', message: (a) => `Signer ${a[0]} is not a registered, unslashed node` },
  NotSameRequest: { code: 'BAD_REQUEST', message: () => 'The receipts are for different requests (requestId, modelDigest or inputHash differ)' },
  QuorumTooSmall: { code: 'BAD_REQUEST', message: (a) => `A quorum dispute needs ${a[1]} agreeing receipts, got ${a[0]}` },
  SameOutput: { code: 'BAD_REQUEST', message: () => 'The receipts agree on the output hash: nothing to dispute' },
  SignatureCountMismatch: { code: 'BAD_REQUEST', message: (a) => `${a[0]} receipts but ${a[1]} signatures` },
}

const roles: Record<string, string> = {}
function roleName(role: Hex): string {
  if (Object.keys(roles).length === 0) {
    for (const name of ['GOVERNANCE_ROLE', 'VERIFIER_ROLE']) roles[keccak256(toHex(name))] = name
    roles[`0x${'00'.repeat(32)}`] = 'DEFAULT_ADMIN_ROLE'
  }
  return roles[role.toLowerCase()] ?? role
}

/** The raw revert data inside a viem error chain, if any. */
function revertData(error: unknown): Hex | undefined {
  if (!(error instanceof BaseError)) return undefined
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null
  if (reverted?.raw !== undefined) return reverted.raw
  let found: Hex | undefined
  error.walk((e) => {
    const data = (e as { data?: unknown }).data
    if (typeof data === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(data)) found = data as Hex
    else if (data !== null && typeof data === 'object' && typeof (data as { data?: unknown }).data === 'string') found = (data as { data: Hex }).data
    return false
  })
  return found
}

/** Decodes a Verity custom error from revert data: its name, arguments and a plain-words message. */
export function decodeVerityRevert(data: Hex): { name: string; args: Args; code: ErrorCode; message: string } | null {
  try {
    const decoded = decodeErrorResult({ abi: allErrors, data })
    const args = (decoded.args ?? []) as Args
    const entry = revertMessages[decoded.errorName]
    if (entry === undefined) return { name: decoded.errorName, args, code: 'CHAIN_REVERTED', message: `Contract error ${decoded.errorName}(${args.join(', ')})` }
    return { name: decoded.errorName, args, code: entry.code, message: entry.message(args) }
  } catch {
    return null
  }
}

/**
 * Wraps any error from a contract call in a VerityError: reverts carry the decoded custom error in
 * plain words (details.revert = the error name), transport failures become CHAIN_UNAVAILABLE.
 */
export function toVerityError(error: unknown, context: { action: string; contract?: string }): VerityError {
  if (error instanceof VerityError) return error
  const data = revertData(error)
  const decoded = data === undefined ? null : decodeVerityRevert(data)
  if (decoded !== null) {
    return new VerityError(decoded.code, decoded.message, {
      cause: error, details: { action: context.action, contract: context.contract, revert: decoded.name, args: decoded.args.map((a) => (typeof a === 'bigint' ? a.toString() : a)) },
    })
  }
  const text = error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error)
  const unreachable = error instanceof BaseError && error.walk((e) => (e as { name?: string }).name === 'HttpRequestError' || (e as { name?: string }).name === 'TimeoutError') !== null
  if (unreachable) return new VerityError('CHAIN_UNAVAILABLE', `${context.action}: the chain RPC did not answer (${text})`, { cause: error, details: { action: context.action } })
  return new VerityError('CHAIN_REVERTED', `${context.action} failed: ${text}`, { cause: error, details: { action: context.action, contract: context.contract } })
}
