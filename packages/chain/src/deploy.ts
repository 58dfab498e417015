/**
 * Deploys the four Verity contracts and binds Disputes as the only slasher; saves and loads the
 * resulting addresses as a deployment JSON.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { createPublicClient, getAddress, http, isAddress, parseEther, zeroAddress, type Abi, type Address, type Hex } from 'viem'
import { Disputes, ModelRegistry, NodeRegistry, Settlement } from '@verity/contracts'
import { VerityError } from '@verity/protocol'
import { toVerityError } from './errors.ts'
import type { VerityWalletClient } from './client.ts'

export type VerityParameters = {
  /** Minimum stake in wei; default 1 ETH. */
  minStake: bigint
  /** Seconds a heartbeat keeps a node active; default 600. */
  heartbeatWindow: number
  /** Seconds between leaving and withdrawing; default 7 days. Must be >= challengeWindow. */
  unbondingDelay: number
  /** Share of a slashed stake paid to the challenger, in basis points; default 5000 (half). */
  challengerRewardBps: number
  /** Receives the rest of a slashed stake; address(0) burns it (default). */
  treasury: Address
  /** Seconds after a receipt's timestamp during which it can be disputed; default 1 day. */
  challengeWindow: number
  /** Agreeing receipts from other nodes needed to slash an outvoted node; default 2. */
  quorumThreshold: number
}

export const defaultVerityParameters: VerityParameters = {
  minStake: parseEther('1'), heartbeatWindow: 600, unbondingDelay: 7 * 24 * 3600, challengerRewardBps: 5000,
  treasury: zeroAddress, challengeWindow: 24 * 3600, quorumThreshold: 2,
}

export type VerityDeployment = {
  chainId: number
  nodeRegistry: Address
  modelRegistry: Address
  settlement: Address
  disputes: Address
  admin: Address
  deployedAtBlock: number
  parameters: Omit<VerityParameters, 'minStake'> & { minStake: string }
}

export type DeployVerityParameters = Partial<VerityParameters> & {
  /** Holds DEFAULT_ADMIN and GOVERNANCE roles; default: the deploying account. */
  admin?: Address | undefined
}

/**
 * Deploys NodeRegistry, ModelRegistry, Settlement and Disputes from `walletClient`'s account, then binds
 * Disputes into NodeRegistry (the only way to slash, fixed forever).
 * @throws VerityError BAD_REQUEST for inconsistent parameters, CHAIN_REVERTED / CHAIN_UNAVAILABLE from the chain.
 */
export async function deployVerity(walletClient: VerityWalletClient, options: DeployVerityParameters = {}): Promise<VerityDeployment> {
  const p: VerityParameters = { ...defaultVerityParameters, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) }
  if (p.challengeWindow > p.unbondingDelay) {
    throw new VerityError('BAD_REQUEST', `challengeWindow (${p.challengeWindow} s) must not exceed unbondingDelay (${p.unbondingDelay} s), or a node could leave before its lies are disputed`, { details: { challengeWindow: p.challengeWindow, unbondingDelay: p.unbondingDelay } })
  }
  const admin = options.admin ?? walletClient.account.address
  const publicClient = createPublicClient({ chain: walletClient.chain, transport: http(walletClient.chain.rpcUrls.default.http[0]), pollingInterval: walletClient.pollingInterval })
  const deploy = async (name: string, abi: Abi, bytecode: Hex, args: readonly unknown[]): Promise<{ address: Address; block: bigint }> => {
    try {
      const hash = await walletClient.deployContract({ abi, bytecode, args })
      const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 60_000 })
      if (receipt.status !== 'success' || receipt.contractAddress == null) throw new VerityError('CHAIN_REVERTED', `Deploying ${name} reverted`, { details: { hash } })
      return { address: receipt.contractAddress, block: receipt.blockNumber }
    } catch (error) {
      throw toVerityError(error, { action: `deploy ${name}`, contract: name })
    }
  }
  const nodes = await deploy('NodeRegistry', NodeRegistry.abi, NodeRegistry.bytecode, [
    admin, p.minStake, BigInt(p.heartbeatWindow), BigInt(p.unbondingDelay), p.challengerRewardBps, p.treasury,
  ])
  const models = await deploy('ModelRegistry', ModelRegistry.abi, ModelRegistry.bytecode, [])
  const settlement = await deploy('Settlement', Settlement.abi, Settlement.bytecode, [nodes.address, models.address])
  const disputes = await deploy('Disputes', Disputes.abi, Disputes.bytecode, [nodes.address, BigInt(p.challengeWindow), p.quorumThreshold])
  if (admin === walletClient.account.address) {
    try {
      const hash = await walletClient.writeContract({ address: nodes.address, abi: NodeRegistry.abi, functionName: 'bindDisputes', args: [disputes.address] })
      await publicClient.waitForTransactionReceipt({ hash, timeout: 60_000 })
    } catch (error) {
      throw toVerityError(error, { action: 'bindDisputes', contract: 'NodeRegistry' })
    }
  }
  return {
    chainId: walletClient.chain.id, nodeRegistry: nodes.address, modelRegistry: models.address, settlement: settlement.address,
    disputes: disputes.address, admin, deployedAtBlock: Number(nodes.block), parameters: { ...p, minStake: p.minStake.toString() },
  }
}

/** Writes the deployment JSON atomically (temp file + rename). */
export function saveDeployment(path: string, deployment: VerityDeployment): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(deployment, null, 2)}\n`)
  renameSync(tmp, path)
}

/** Reads and checks a deployment JSON written by saveDeployment. */
export function loadDeployment(path: string): VerityDeployment {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (cause) {
    throw new VerityError('DEPLOYMENT_NOT_FOUND', `No readable Verity deployment JSON at ${path}`, { cause, details: { path } })
  }
  const d = raw as Record<string, unknown>
  for (const key of ['nodeRegistry', 'modelRegistry', 'settlement', 'disputes', 'admin'] as const) {
    if (typeof d[key] !== 'string' || !isAddress(d[key])) {
      throw new VerityError('BAD_REQUEST', `Deployment ${path}: ${key} must be an address, got ${JSON.stringify(d[key])}`, { details: { path, key } })
    }
    d[key] = getAddress(d[key])
  }
  if (!Number.isSafeInteger(d.chainId)) throw new VerityError('BAD_REQUEST', `Deployment ${path}: chainId must be an integer`, { details: { path } })
  return d as unknown as VerityDeployment
}
