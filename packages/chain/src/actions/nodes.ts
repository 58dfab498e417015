/** NodeRegistry actions: register, heartbeat, leave, withdraw, views, TEE measurements, roles. */
import { keccak256, toHex, zeroHash, type Address, type Hex, type LocalAccount } from 'viem'
import { NodeRegistry } from '@verity/contracts'
import { VerityError } from '@verity/protocol'
import { accountAddress, readAction, readLogsInWindows, writeAction, type VerityClient, type WriteResult } from '../client.ts'

const abi = NodeRegistry.abi
const C = 'NodeRegistry'

export type NodeInfo = {
  signer: Address
  operator: Address
  endpoint: string
  stake: bigint
  registeredAt: number
  lastHeartbeat: number
  /** 0 while serving. */
  leftAt: number
  /** 0 unless slashed. */
  slashedAt: number
  /** Zero hash for non-TEE nodes. */
  measurement: Hex
  active: boolean
}

type RawNode = { signer: Address; operator: Address; endpoint: string; stake: bigint; registeredAt: bigint; lastHeartbeat: bigint; leftAt: bigint; slashedAt: bigint; measurement: Hex; active: boolean }
const toNodeInfo = (n: RawNode): NodeInfo => ({
  signer: n.signer, operator: n.operator, endpoint: n.endpoint, stake: n.stake, registeredAt: Number(n.registeredAt),
  lastHeartbeat: Number(n.lastHeartbeat), leftAt: Number(n.leftAt), slashedAt: Number(n.slashedAt), measurement: n.measurement, active: n.active,
})

export type RegisterNodeParameters = {
  endpoint: string
  /** Stake in wei (at least the registry's minStake). */
  stake: bigint
  /** The receipt-signing address; default: the client's account (then no consent is needed). */
  signer?: Address | undefined
  /** When signer differs from the account: the signer's account, used to sign its consent. */
  signerAccount?: LocalAccount | undefined
  /** Or a consent signature made elsewhere (EIP-191 over NodeRegistry.registrationHash). */
  signerConsent?: Hex | undefined
  /** TEE measurement hash (must be allow-listed); default none. */
  measurement?: Hex | undefined
}

/** Registers a node with `stake` wei. @throws VerityError (InsufficientStake, SignerAlreadyUsed, MeasurementNotAllowed, ...) */
export async function registerNode(client: VerityClient, params: RegisterNodeParameters): Promise<WriteResult & { signer: Address }> {
  const operator = accountAddress(client, 'registerNode')
  const signer = params.signer ?? params.signerAccount?.address ?? operator
  let consent: Hex = params.signerConsent ?? '0x'
  if (signer.toLowerCase() !== operator.toLowerCase() && consent === '0x') {
    if (params.signerAccount === undefined || params.signerAccount.address.toLowerCase() !== signer.toLowerCase()) {
      throw new VerityError('BAD_REQUEST', `registerNode: signer ${signer} differs from the operator ${operator}, so the signer must consent`, {
        details: { signer, operator }, hint: 'Pass signerAccount (the signer key) or signerConsent.',
      })
    }
    const hash = await readAction('registerNode', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'registrationHash', args: [operator, signer] }))
    consent = await params.signerAccount.signMessage({ message: { raw: hash } })
  }
  const result = await writeAction(client, 'registerNode', C, (w) => w.writeContract({
    address: client.deployment.nodeRegistry, abi, functionName: 'register', args: [signer, params.endpoint, params.measurement ?? zeroHash, consent], value: params.stake,
  }))
  return { ...result, signer }
}

type SignerParameters = { signer?: Address | undefined }
const signerOf = (client: VerityClient, action: string, p: SignerParameters) => p.signer ?? accountAddress(client, action)

export async function heartbeat(client: VerityClient, params: SignerParameters = {}): Promise<WriteResult> {
  const signer = signerOf(client, 'heartbeat', params)
  return writeAction(client, 'heartbeat', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'heartbeat', args: [signer] }))
}

export async function setNodeEndpoint(client: VerityClient, params: SignerParameters & { endpoint: string }): Promise<WriteResult> {
  const signer = signerOf(client, 'setNodeEndpoint', params)
  return writeAction(client, 'setNodeEndpoint', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'setEndpoint', args: [signer, params.endpoint] }))
}

export async function addStake(client: VerityClient, params: SignerParameters & { amount: bigint }): Promise<WriteResult> {
  const signer = signerOf(client, 'addStake', params)
  return writeAction(client, 'addStake', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'addStake', args: [signer], value: params.amount }))
}

/** Stops serving now; the stake can be withdrawn after the unbonding delay. */
export async function leaveNode(client: VerityClient, params: SignerParameters = {}): Promise<WriteResult & { withdrawableAt: number }> {
  const signer = signerOf(client, 'leaveNode', params)
  const result = await writeAction(client, 'leaveNode', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'leave', args: [signer] }))
  const [, leftAt] = await client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'timeline', args: [signer] })
  const delay = await client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'unbondingDelay' })
  return { ...result, withdrawableAt: Number(leftAt + delay) }
}

export async function withdrawStake(client: VerityClient, params: SignerParameters = {}): Promise<WriteResult> {
  const signer = signerOf(client, 'withdrawStake', params)
  return writeAction(client, 'withdrawStake', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'withdrawStake', args: [signer] }))
}

/** Pulls challenger rewards (or treasury income) owed to the client's account. */
export async function claimRewards(client: VerityClient): Promise<WriteResult> {
  return writeAction(client, 'claimRewards', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'claim' }))
}

export async function getClaimable(client: VerityClient, params: { account: Address }): Promise<bigint> {
  return readAction('getClaimable', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'claimable', args: [params.account] }))
}

/** The node registered under `signer`, or null when there is none. */
export async function getNode(client: VerityClient, params: { signer: Address }): Promise<NodeInfo | null> {
  const n = await readAction('getNode', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'getNode', args: [params.signer] }))
  return n.registeredAt === 0n ? null : toNodeInfo(n)
}

/** Every active node (staked, fresh heartbeat, not left or slashed, measurement allowed), paging through the registry. */
export async function getActiveNodes(client: VerityClient, params: { pageSize?: number } = {}): Promise<NodeInfo[]> {
  const pageSize = BigInt(params.pageSize ?? 200)
  const count = await readAction('getActiveNodes', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'nodeCount' }))
  const out: NodeInfo[] = []
  for (let offset = 0n; offset < count; offset += pageSize) {
    const page = await readAction('getActiveNodes', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'getActiveNodes', args: [offset, pageSize] }))
    out.push(...page.map(toNodeInfo))
  }
  return out
}

export async function isNodeActive(client: VerityClient, params: { signer: Address }): Promise<boolean> {
  return readAction('isNodeActive', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'isActive', args: [params.signer] }))
}

/** Was `signer` a registered node, not left, not slashed, measurement not revoked, at `timestamp` (unix seconds)? */
export async function wasActiveAt(client: VerityClient, params: { signer: Address; timestamp: number }): Promise<boolean> {
  return readAction('wasActiveAt', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'wasActiveAt', args: [params.signer, BigInt(params.timestamp)] }))
}

export async function allowMeasurement(client: VerityClient, params: { measurement: Hex }): Promise<WriteResult> {
  return writeAction(client, 'allowMeasurement', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'allowMeasurement', args: [params.measurement] }))
}

/** Revokes a TEE measurement for good: every node running it turns inactive at once. */
export async function revokeMeasurement(client: VerityClient, params: { measurement: Hex }): Promise<WriteResult> {
  return writeAction(client, 'revokeMeasurement', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'revokeMeasurement', args: [params.measurement] }))
}

export async function isMeasurementAllowed(client: VerityClient, params: { measurement: Hex }): Promise<boolean> {
  return readAction('isMeasurementAllowed', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'isMeasurementAllowed', args: [params.measurement] }))
}

/** Posts the outcome of an off-chain TEE attestation check for a node (VERIFIER role). */
export async function recordAttestation(client: VerityClient, params: { signer: Address; measurement: Hex; reportHash: Hex; valid: boolean }): Promise<WriteResult> {
  return writeAction(client, 'recordAttestation', C, (w) => w.writeContract({
    address: client.deployment.nodeRegistry, abi, functionName: 'recordAttestation', args: [params.signer, params.measurement, params.reportHash, params.valid],
  }))
}

export type AttestationInfo = { measurement: Hex; reportHash: Hex; verifiedAt: number; valid: boolean; attested: boolean }

/** The latest attestation result for a node; `attested` also requires its measurement to match and be allowed. */
export async function getAttestation(client: VerityClient, params: { signer: Address }): Promise<AttestationInfo> {
  const [measurement, reportHash, verifiedAt, valid] = await readAction('getAttestation', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'attestations', args: [params.signer] }))
  const attested = await readAction('getAttestation', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'isAttested', args: [params.signer] }))
  return { measurement, reportHash, verifiedAt: Number(verifiedAt), valid, attested }
}

export type VerityRole = 'GOVERNANCE' | 'VERIFIER' | 'ADMIN'
export const roleId = (role: VerityRole): Hex => (role === 'ADMIN' ? zeroHash : keccak256(toHex(`${role}_ROLE`)))

export async function grantRole(client: VerityClient, params: { role: VerityRole; account: Address }): Promise<WriteResult> {
  return writeAction(client, 'grantRole', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'grantRole', args: [roleId(params.role), params.account] }))
}

export async function revokeRole(client: VerityClient, params: { role: VerityRole; account: Address }): Promise<WriteResult> {
  return writeAction(client, 'revokeRole', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'revokeRole', args: [roleId(params.role), params.account] }))
}

export async function setRegistryParameters(client: VerityClient, params: { minStake: bigint; heartbeatWindow: number }): Promise<WriteResult> {
  return writeAction(client, 'setRegistryParameters', C, (w) => w.writeContract({ address: client.deployment.nodeRegistry, abi, functionName: 'setParameters', args: [params.minStake, BigInt(params.heartbeatWindow)] }))
}

/** Every registered node (active or not), in registration order. */
export async function listNodes(client: VerityClient): Promise<NodeInfo[]> {
  const count = await readAction('listNodes', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'nodeCount' }))
  const out: NodeInfo[] = []
  for (let i = 0n; i < count; i++) {
    const signer = await readAction('listNodes', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'signerAt', args: [i] }))
    const node = await getNode(client, { signer })
    if (node) out.push(node)
  }
  return out
}

export type MeasurementStatus = { measurement: Hex; allowed: boolean; /** Unix seconds; 0 when never allowed. */ allowedAt: number; /** Unix seconds; 0 unless revoked. */ revokedAt: number }

/** When a TEE measurement was allow-listed and (if so) revoked. */
export async function getMeasurementStatus(client: VerityClient, params: { measurement: Hex }): Promise<MeasurementStatus> {
  const [allowedAt, revokedAt] = await readAction('getMeasurementStatus', C, () => client.publicClient.readContract({ address: client.deployment.nodeRegistry, abi, functionName: 'measurements', args: [params.measurement] }))
  return { measurement: params.measurement, allowed: allowedAt !== 0n && revokedAt === 0n, allowedAt: Number(allowedAt), revokedAt: Number(revokedAt) }
}

export type AttestationRecord = { signer: Address; measurement: Hex; reportHash: Hex; valid: boolean; blockNumber: bigint; transactionHash: Hex }

/** Every attestation outcome recorded for `signer` (AttestationRecorded events since the deployment), oldest first. */
export async function getAttestationRecords(client: VerityClient, params: { signer: Address }): Promise<AttestationRecord[]> {
  const logs = await readAction('getAttestationRecords', C, () => readLogsInWindows(client, BigInt(client.deployment.deployedAtBlock ?? 0), (window) => client.publicClient.getContractEvents({
    address: client.deployment.nodeRegistry, abi, eventName: 'AttestationRecorded', args: { signer: params.signer }, ...window,
  })))
  return logs.map((l) => ({
    signer: l.args.signer!, measurement: l.args.measurement!, reportHash: l.args.reportHash!, valid: l.args.valid!, blockNumber: l.blockNumber, transactionHash: l.transactionHash,
  }))
}
