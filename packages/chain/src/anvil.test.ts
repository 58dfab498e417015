import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, http, parseEther } from 'viem'
import { VerityError } from '@verity/protocol'
import { startAnvil, anvilBinaryPath, createVerityWallet, deployVerity, saveDeployment, loadDeployment, createVerityClient, registerNode, getNode } from './index.ts'
import { devKeys } from './_testChain.ts'

test('anvil binary resolves from the npm platform package without its install script', () => {
  const path = anvilBinaryPath()
  assert.match(path, /@foundry-rs\/anvil-[a-z0-9]+-[a-z0-9]+\/bin\/anvil/)
  assert.ok(statSync(path).mode & 0o111)
})

test('startAnvil persists the chain in dataDir across a restart; stop is idempotent', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'verity-anvil-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const first = await startAnvil({ dataDir, chainId: 31337 })
  let deploymentPath = join(dataDir, 'deployment.json')
  let signer: `0x${string}`
  try {
    assert.match(first.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
    const wallet = createVerityWallet({ rpcUrl: first.rpcUrl, chainId: 31337, account: devKeys[0]! })
    const deployment = await deployVerity(wallet)
    saveDeployment(deploymentPath, deployment)
    const client = createVerityClient({ rpcUrl: first.rpcUrl, deployment, account: devKeys[1]! })
    signer = (await registerNode(client, { endpoint: 'https://node-1.example', stake: parseEther('1') })).signer
  } finally {
    await first.stop()
    await first.stop()
  }
  const second = await startAnvil({ dataDir })
  t.after(() => second.stop())
  const deployment = loadDeployment(deploymentPath)
  const client = createVerityClient({ rpcUrl: second.rpcUrl, deployment })
  const node = await getNode(client, { signer })
  assert.equal(node?.endpoint, 'https://node-1.example')
  assert.equal(node?.stake, parseEther('1'))
  const blocks = await createPublicClient({ transport: http(second.rpcUrl) }).getBlockNumber()
  assert.ok(blocks >= 5n, `restarted chain kept its blocks (got ${blocks})`)
  deploymentPath = join(dataDir, 'missing.json')
  assert.throws(() => loadDeployment(deploymentPath), (e: unknown) => e instanceof VerityError && e.code === 'DEPLOYMENT_NOT_FOUND')
})

test('startAnvil fails clearly when the port is taken by another chain', async (t) => {
  const a = await startAnvil({ chainId: 31337 })
  t.after(() => a.stop())
  await assert.rejects(startAnvil({ port: a.port, chainId: 999, timeoutMs: 3000 }), (e: unknown) => e instanceof VerityError && e.code === 'CHAIN_UNAVAILABLE')
})

test('startAnvil with blockTime mines blocks on its own', async (t) => {
  const anvil = await startAnvil({ blockTime: 1 })
  t.after(() => anvil.stop())
  const client = createPublicClient({ transport: http(anvil.rpcUrl) })
  const first = await client.getBlockNumber({ cacheTime: 0 })
  await new Promise((r) => setTimeout(r, 2200))
  assert.ok((await client.getBlockNumber({ cacheTime: 0 })) > first)
})
