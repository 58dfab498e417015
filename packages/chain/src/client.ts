/**
 * The client every action takes first: viem public + wallet clients and the deployment's addresses.
 */
import {
  createPublicClient, createWalletClient, defineChain, http, nonceManager, type Account, type Address, type Chain, type Hex, type PublicClient,
  type Transport, type WalletClient, type TransactionReceipt,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { VerityError } from '@verity/protocol'
import { toVerityError } from './errors.ts'
import type { VerityDeployment } from './deploy.ts'
import { DEFAULT_LOG_BLOCK_RANGE, readToLatestInWindows } from './logWindows.ts'

export type VerityWalletClient = WalletClient<Transport, Chain, Account>

export type VerityClient = {
  publicClient: PublicClient
  /** Needed for transactions; read-only clients leave it out. */
  walletClient?: VerityWalletClient | undefined
  deployment: VerityDeployment
  /** How long to wait for a transaction to be mined, in ms; default 60000. */
  transactionTimeoutMs?: number | undefined
  /** Most blocks one eth_getLogs call may span; event reads are split into windows this wide. Default 10,000. */
  logBlockRange?: number | undefined
}

export type CreateVerityClientParameters = {
  rpcUrl: string
  deployment: VerityDeployment
  /** A viem account or a 0x private key; leave out for a read-only client. */
  account?: Account | Hex | undefined
  /** Receipt polling in ms; default 50 (local chains mine instantly). */
  pollingInterval?: number | undefined
  /** Assign nonces locally so that concurrent actions from one private key do not collide; default false. */
  manageNonces?: boolean | undefined
  /** How long to wait for a transaction to be mined, in ms; default 60000. */
  transactionTimeoutMs?: number | undefined
  /**
   * Most blocks one eth_getLogs call may span. Public RPC providers refuse wider calls (10,000 blocks
   * is a common cap, some allow 2,000 or fewer), so event reads go in windows this wide. Default 10,000.
   */
  logBlockRange?: number | undefined
}

export function verityChain(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId, name: chainId === 31337 ? 'Anvil' : `Chain ${chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  })
}

/** Builds a wallet client for `account` on the chain at `rpcUrl` (chain id given, no RPC round trip). */
export function createVerityWallet(params: {
  rpcUrl: string; chainId: number; account: Account | Hex; pollingInterval?: number | undefined; manageNonces?: boolean | undefined
}): VerityWalletClient {
  // viem's nonce manager lets concurrent actions from one key each get their own nonce; it caches
  // nonces, so it is opt-in (a chain reverted under it, as tests do with evm_revert, would stall it).
  const account = typeof params.account === 'string'
    ? privateKeyToAccount(params.account, params.manageNonces === true ? { nonceManager } : {})
    : params.account
  return createWalletClient({ account, chain: verityChain(params.chainId, params.rpcUrl), transport: http(params.rpcUrl), pollingInterval: params.pollingInterval ?? 50 })
}

export function createVerityClient(params: CreateVerityClientParameters): VerityClient {
  const chain = verityChain(params.deployment.chainId, params.rpcUrl)
  const publicClient = createPublicClient({ chain, transport: http(params.rpcUrl), pollingInterval: params.pollingInterval ?? 50 }) as PublicClient
  const walletClient = params.account === undefined ? undefined
    : createVerityWallet({ rpcUrl: params.rpcUrl, chainId: params.deployment.chainId, account: params.account, pollingInterval: params.pollingInterval, manageNonces: params.manageNonces })
  if (params.logBlockRange !== undefined && !(Number.isSafeInteger(params.logBlockRange) && params.logBlockRange > 0)) {
    throw new RangeError(`logBlockRange must be a positive integer number of blocks, got ${params.logBlockRange}`)
  }
  return { publicClient, walletClient, deployment: params.deployment, transactionTimeoutMs: params.transactionTimeoutMs, logBlockRange: params.logBlockRange }
}

/**
 * Reads logs from `fromBlock` to the latest block in windows of at most `client.logBlockRange` blocks
 * (see CreateVerityClientParameters), oldest first. `read` makes one eth_getLogs call for one window.
 */
export async function readLogsInWindows<T>(client: VerityClient, fromBlock: bigint, read: (window: { fromBlock: bigint; toBlock: bigint }) => Promise<T[]>): Promise<T[]> {
  return readToLatestInWindows(client.publicClient, fromBlock, client.logBlockRange ?? DEFAULT_LOG_BLOCK_RANGE, read)
}

/** The result of every state-changing action. */
export type WriteResult = { hash: Hex; blockNumber: bigint; gasUsed: bigint; receipt: TransactionReceipt }

export function requireWallet(client: VerityClient, action: string): VerityWalletClient {
  if (client.walletClient === undefined) {
    throw new VerityError('BAD_REQUEST', `${action} sends a transaction, but this Verity client has no account`, {
      details: { action }, hint: 'Pass `account` (a viem account or private key) to createVerityClient.',
    })
  }
  return client.walletClient
}

/** Sends a transaction built by `send`, waits for it, and turns reverts into VerityError. */
export async function writeAction(
  client: VerityClient, action: string, contract: string, send: (wallet: VerityWalletClient) => Promise<Hex>,
): Promise<WriteResult> {
  const wallet = requireWallet(client, action)
  let hash: Hex
  try {
    hash = await send(wallet)
  } catch (error) {
    throw toVerityError(error, { action, contract })
  }
  const timeout = client.transactionTimeoutMs ?? 60_000
  let receipt: TransactionReceipt
  try {
    receipt = await client.publicClient.waitForTransactionReceipt({ hash, pollingInterval: client.publicClient.pollingInterval, timeout })
  } catch (error) {
    throw new VerityError('TIMEOUT', `${action}: transaction ${hash} was not mined within ${timeout} ms`, {
      cause: error, details: { action, contract, hash }, hint: 'Check that the chain is producing blocks and the account nonce is not stuck.',
    })
  }
  if (receipt.status !== 'success') {
    throw new VerityError('CHAIN_REVERTED', `${action}: transaction ${hash} reverted`, { details: { action, contract, hash } })
  }
  return { hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, receipt }
}

/** Runs a contract read and turns reverts into VerityError. */
export async function readAction<T>(action: string, contract: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    throw toVerityError(error, { action, contract })
  }
}

export function accountAddress(client: VerityClient, action: string): Address {
  return requireWallet(client, action).account.address
}
