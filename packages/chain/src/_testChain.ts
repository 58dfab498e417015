/**
 * Test harness (not exported): one anvil per test file with Verity deployed, clients for anvil's
 * well-known dev accounts (test use only), and evm_snapshot / evm_revert / evm_increaseTime helpers.
 */
import { createTestClient, http, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startAnvil, type StartAnvilReturnType } from './anvil.ts'
import { createVerityClient, createVerityWallet, type VerityClient } from './client.ts'
import { deployVerity, type DeployVerityParameters, type VerityDeployment } from './deploy.ts'

/** anvil's default mnemonic accounts 0..9 ("test test ... junk"): public knowledge, never use outside tests. */
export const devKeys: readonly Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdb0d7adf32f',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
]

export type TestChain = {
  anvil: StartAnvilReturnType
  deployment: VerityDeployment
  /** Client for dev account i (account 0 deployed and is admin/governance). */
  as: (i: number) => VerityClient
  address: (i: number) => Hex
  snapshot: () => Promise<Hex>
  revert: (id: Hex) => Promise<void>
  increaseTime: (seconds: number) => Promise<void>
  now: () => Promise<number>
  stop: () => Promise<void>
}

export async function startTestChain(options: DeployVerityParameters & { chainId?: number } = {}): Promise<TestChain> {
  const anvil = await startAnvil({ chainId: options.chainId })
  try {
    const deployer = createVerityWallet({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, account: devKeys[0]! })
    const deployment = await deployVerity(deployer, options)
    const clients = new Map<number, VerityClient>()
    const testClient = createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) })
    const as = (i: number) => {
      let c = clients.get(i)
      if (c === undefined) clients.set(i, c = createVerityClient({ rpcUrl: anvil.rpcUrl, deployment, account: devKeys[i]! }))
      return c
    }
    return {
      anvil, deployment, as,
      address: (i) => privateKeyToAccount(devKeys[i]!).address,
      snapshot: () => testClient.snapshot(),
      revert: (id) => testClient.revert({ id }),
      increaseTime: async (seconds) => { await testClient.increaseTime({ seconds }); await testClient.mine({ blocks: 1 }) },
      now: async () => Number((await as(0).publicClient.getBlock()).timestamp),
      stop: () => anvil.stop(),
    }
  } catch (e) {
    await anvil.stop()
    throw e
  }
}

/** Asserts that `promise` rejects with a VerityError of `code` whose decoded revert is `revert` (when given). */
export async function rejectsWith(promise: Promise<unknown>, code: string, revert?: string, message?: RegExp): Promise<void> {
  const { VerityError } = await import('@verity/protocol')
  try {
    await promise
  } catch (e) {
    if (!(e instanceof VerityError)) throw new Error(`expected VerityError ${code}${revert ? `/${revert}` : ''}, got ${String(e)}`, { cause: e })
    if (e.code !== code || (revert !== undefined && e.details.revert !== revert) || (message !== undefined && !message.test(e.message))) {
      throw new Error(`expected VerityError ${code}${revert ? `/${revert}` : ''}${message ? ` ${message}` : ''}, got ${e.code}/${String(e.details.revert)}: ${e.message}`, { cause: e })
    }
    return
  }
  throw new Error(`expected VerityError ${code}${revert ? `/${revert}` : ''}, but it resolved`)
}
