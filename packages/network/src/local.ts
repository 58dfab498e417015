/**
 * A local Verity network: an anvil chain (state persisted in <dataDir>/chain) with the contracts
 * deployed (<dataDir>/deployment.json, reused on restart), and N nodes as separate processes, each
 * with its own key, port, data dir (<dataDir>/nodes/node-N) and stake, registered on chain. Or join
 * an existing chain (`chain: { rpcUrl, deploymentPath? }`) instead of starting anvil.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPublicClient, http, parseEther, type Hex } from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import {
  allowMeasurement, createVerityClient, createVerityWallet, deployVerity, getMeasurementStatus, getNode, grantRole, loadDeployment, saveDeployment, startAnvil, verityChain,
  type DeployVerityParameters, type StartAnvilReturnType, type VerityDeployment,
} from '@verity/chain'
import { DEV_TEE_MEASUREMENT_HASH, loadOrCreateNodeKey, type NodeTeeSetting } from '@verity/node'
import { startAttestationVerifier, type AttestationVerifier } from './attestationVerifier.ts'
import { sameAddress, VerityError, type Address } from '@verity/protocol'
import type { NodeProcessSpec, NodeReady } from './nodeProcess.ts'
import { writeNetworkFile, type NetworkFile } from './networkFile.ts'

const nodeEntry = fileURLToPath(new URL('./nodeProcess.ts', import.meta.url))

/**
 * anvil's first well-known dev account ("test test ... junk" mnemonic). Public knowledge: it only ever
 * funds accounts on a local anvil chain, never anywhere else.
 */
export const ANVIL_DEV_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'

export type StartLocalNetworkParameters = {
  dataDir: string
  /** How many node processes; default 3. */
  nodes?: number | undefined
  host?: string | undefined
  /** Node i listens on basePort + i; 0 (default) picks free ports. */
  basePort?: number | undefined
  /** Join this chain instead of starting anvil. */
  chain?: { rpcUrl: string; deploymentPath?: string | undefined } | undefined
  /** Pays for deployment and funds node keys; default anvil's dev account (local chains only). */
  funderKey?: Hex | undefined
  /** Contract parameters for a fresh deployment. */
  deploy?: Omit<DeployVerityParameters, 'admin'> | undefined
  /** Wei each node stakes; default the registry's minimum stake. */
  stake?: bigint | undefined
  settleIntervalMs?: number | undefined
  heartbeatMs?: number | undefined
  /** Inference workers per node; default 1. */
  workers?: number | undefined
  /** Sample repos to seed in every node (default all; [] for none). */
  samples?: string[] | undefined
  /** Extra environment for node i (test-only fault injection, for instance). */
  nodeEnv?: ((index: number) => Record<string, string>) | undefined
  logLevel?: string | undefined
  onProgress?: ((message: string) => void) | undefined
  /**
   * TEE for every node (default 'none'). With any TEE the network runs the attestation verifier
   * (holding VERIFIER_ROLE, key in <dataDir>/verifier.key). 'dev' — the INSECURE dev provider, for
   * development — also allow-lists the dev measurement and lets the verifier accept dev evidence.
   */
  tee?: NodeTeeSetting | undefined
  /** How often the attestation verifier re-checks every TEE node, ms; default 10000. */
  attestationIntervalMs?: number | undefined
}

export type NetworkNode = {
  index: number
  url: string
  address: Address
  stake: bigint
  dataDir: string
  pid: number
  models: NodeReady['models']
  process: ChildProcess
  /** Resolves when the process has exited. */
  exited: Promise<number | null>
}

export type LocalNetwork = {
  rpcUrl: string
  chainId: number
  deployment: VerityDeployment
  deploymentPath: string
  networkFilePath: string
  /** Funded key for disputes from the CLI (<dataDir>/challenger.key). */
  challengerKeyPath: string
  anvil: StartAnvilReturnType | null
  nodes: NetworkNode[]
  /** The nodes' TEE setting. */
  tee: NodeTeeSetting
  /** Running when the nodes have a TEE: records their attestations on chain. */
  verifier: AttestationVerifier | null
  /** The governance key of a local anvil chain (anvil's public dev key), for `verity network measurement`; null otherwise. */
  governanceKeyPath: string | null
  /** Starts (or restarts) node `index` with its persisted key and data; optional extra env. */
  startNode(index: number, env?: Record<string, string>): Promise<NetworkNode>
  /** SIGTERM (settle, then exit) and wait; SIGKILL when `signal` says so. */
  stopNode(index: number, signal?: NodeJS.Signals): Promise<void>
  /** Stops every node (each settles its pending receipts), then the chain. Idempotent. */
  stop(): Promise<void>
}

async function waitForReady(child: ChildProcess, index: number, timeoutMs: number): Promise<NodeReady> {
  return new Promise((resolvePromise, reject) => {
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new VerityError('TIMEOUT', `node-${index} did not start within ${timeoutMs} ms`, { details: { stderr: stderr.slice(-2000) } })) }, timeoutMs)
    const onData = (d: Buffer) => {
      stdout += d.toString()
      const line = stdout.split('\n').find((l) => l.startsWith('VERITY_READY '))
      if (line) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        resolvePromise(JSON.parse(line.slice('VERITY_READY '.length)) as NodeReady)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000) })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new VerityError('INTERNAL', `node-${index} exited with code ${code} while starting: ${stderr.trim().split('\n').slice(-5).join(' | ')}`, { details: { stderr } }))
    })
  })
}

export async function startLocalNetwork(p: StartLocalNetworkParameters): Promise<LocalNetwork> {
  const dataDir = resolve(p.dataDir)
  const progress = p.onProgress ?? (() => undefined)
  const count = p.nodes ?? 3
  const host = p.host ?? '127.0.0.1'
  const funderKey = p.funderKey ?? ANVIL_DEV_KEY
  mkdirSync(dataDir, { recursive: true })

  let anvil: StartAnvilReturnType | null = null
  let rpcUrl: string
  let deploymentPath: string
  if (p.chain) {
    rpcUrl = p.chain.rpcUrl
    deploymentPath = p.chain.deploymentPath ? resolve(p.chain.deploymentPath) : join(dataDir, 'deployment.json')
  } else {
    progress(`starting anvil (state in ${join(dataDir, 'chain')})`)
    // Own process groups for anvil and the nodes: a terminal Ctrl-C reaches only this process, which
    // stops the nodes (they settle) and then the chain, in that order.
    anvil = await startAnvil({ dataDir: join(dataDir, 'chain'), stateInterval: 30, detached: true })
    rpcUrl = anvil.rpcUrl
    deploymentPath = join(dataDir, 'deployment.json')
  }
  const nodes: NetworkNode[] = []
  const tee = p.tee ?? 'none'
  let verifier: AttestationVerifier | null = null
  const stopAll = async () => {
    verifier?.close()
    await Promise.all(nodes.map(async (n) => {
      if (n.process.exitCode === null && n.process.signalCode === null) n.process.kill('SIGTERM')
      const timer = setTimeout(() => n.process.kill('SIGKILL'), 30_000)
      await n.exited
      clearTimeout(timer)
    }))
    await anvil?.stop()
  }
  try {
    const publicClient = createPublicClient({ transport: http(rpcUrl) })
    const chainId = await publicClient.getChainId().catch((cause: unknown) => {
      throw new VerityError('CHAIN_UNAVAILABLE', `No chain answers at ${rpcUrl}`, { cause, details: { rpcUrl } })
    })
    const funder = createVerityWallet({ rpcUrl, chainId, account: funderKey })
    let deployment: VerityDeployment | null = null
    if (existsSync(deploymentPath)) {
      const saved = loadDeployment(deploymentPath)
      const code = await publicClient.getCode({ address: saved.nodeRegistry })
      if (saved.chainId === chainId && code !== undefined && code !== '0x') deployment = saved
      else if (p.chain?.deploymentPath) throw new VerityError('DEPLOYMENT_NOT_FOUND', `The deployment ${deploymentPath} has no contracts on the chain at ${rpcUrl} (chain ${chainId})`, { details: { deploymentPath, rpcUrl } })
      else progress(`the saved deployment is not on this chain; deploying again`)
    }
    if (deployment === null) {
      progress('deploying the Verity contracts')
      saveDeployment(deploymentPath, await deployVerity(funder, p.deploy ?? {}))
      // Read back: loadDeployment checksums the addresses, so a fresh and a reused deployment print alike.
      deployment = loadDeployment(deploymentPath)
    }
    const stake = p.stake ?? BigInt(deployment.parameters.minStake)
    const waitTx = (hash: Hex) => publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    const fund = async (address: Address, atLeast: bigint) => {
      const balance = await publicClient.getBalance({ address })
      if (balance < atLeast) await waitTx(await funder.sendTransaction({ to: address, value: atLeast * 2n - balance, chain: verityChain(chainId, rpcUrl) }))
    }
    const challenger = loadOrCreateNodeKey(dataDir, 'challenger.key')
    await fund(challenger.address, parseEther('1'))
    // anvil's dev key is public: writing it down gives `verity network measurement` a governance key.
    let governanceKeyPath: string | null = null
    if (funderKey === ANVIL_DEV_KEY && sameAddress(deployment.admin, privateKeyToAddress(ANVIL_DEV_KEY))) {
      governanceKeyPath = join(dataDir, 'governance.key')
      writeFileSync(governanceKeyPath, `${ANVIL_DEV_KEY}\n`, { mode: 0o600 })
    }
    if (tee !== 'none') {
      const governance = createVerityClient({ rpcUrl, deployment, account: funderKey })
      if (tee === 'dev') {
        const status = await getMeasurementStatus(governance, { measurement: DEV_TEE_MEASUREMENT_HASH })
        if (status.revokedAt !== 0) progress(`the dev TEE measurement was revoked on this chain: registered dev nodes stay inactive, new ones cannot register`)
        else if (!status.allowed) {
          progress(`allow-listing the dev TEE measurement ${DEV_TEE_MEASUREMENT_HASH.slice(0, 18)}… (INSECURE: for development only)`)
          await allowMeasurement(governance, { measurement: DEV_TEE_MEASUREMENT_HASH })
        }
      }
      const verifierKey = loadOrCreateNodeKey(dataDir, 'verifier.key')
      await fund(verifierKey.address, parseEther('1'))
      await grantRole(governance, { role: 'VERIFIER', account: verifierKey.address })
      progress(`starting the attestation verifier (${verifierKey.address}${tee === 'dev' ? ', accepting dev attestations' : ''})`)
      verifier = startAttestationVerifier({
        rpcUrl, deployment, verifierKey: verifierKey.privateKey, allowDevTee: tee === 'dev', intervalMs: p.attestationIntervalMs ?? 10_000,
        log: (m) => progress(m),
      })
    }

    const specFor = (index: number): NodeProcessSpec => ({
      dataDir: join(dataDir, 'nodes', `node-${index + 1}`), host, port: p.basePort ? p.basePort + index : 0, rpcUrl, deploymentPath,
      stake: stake.toString(), settleIntervalMs: p.settleIntervalMs, heartbeatMs: p.heartbeatMs, workers: p.workers ?? 1, samples: p.samples,
      logLevel: p.logLevel, tee,
    })
    const network: LocalNetwork = {
      rpcUrl, chainId, deployment, deploymentPath, networkFilePath: join(dataDir, 'network.json'), challengerKeyPath: challenger.path, anvil, nodes,
      tee, verifier, governanceKeyPath,
      async startNode(index, env = {}) {
        const spec = specFor(index)
        const key = loadOrCreateNodeKey(spec.dataDir)
        const registered = await getNode({ publicClient: publicClient as never, deployment: deployment! }, { signer: key.address })
        await fund(key.address, registered ? parseEther('0.5') : stake + parseEther('1'))
        const child = spawn(process.execPath, [nodeEntry], {
          env: { ...process.env, ...(p.nodeEnv?.(index) ?? {}), ...env, VERITY_NODE_SPEC: JSON.stringify(spec) },
          stdio: ['pipe', 'pipe', 'pipe'], detached: true,
        })
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
        const ready = await waitForReady(child, index + 1, 120_000)
        const node: NetworkNode = {
          index, url: ready.url, address: ready.address as Address, stake, dataDir: spec.dataDir, pid: ready.pid, models: ready.models, process: child, exited,
        }
        nodes[index] = node
        writeNetworkFile(network.networkFilePath, networkFileOf(network))
        return node
      },
      async stopNode(index, signal = 'SIGTERM') {
        const n = nodes[index]
        if (!n) return
        if (n.process.exitCode === null && n.process.signalCode === null) n.process.kill(signal)
        await n.exited
      },
      stop: (() => {
        let stopping: Promise<void> | null = null
        return () => (stopping ??= stopAll())
      })(),
    }
    // Nodes start one after another: on two cores, parallel seeding only slows every node down.
    for (let i = 0; i < count; i++) {
      progress(`starting node-${i + 1}`)
      await network.startNode(i)
    }
    if (verifier !== null) {
      progress('checking the nodes\' attestations')
      for (const v of await verifier.checkAll()) if (!v.valid) progress(`node ${v.signer}: attestation ${v.outcome === 'skipped' ? 'not checked' : 'INVALID'}: ${v.reasons.join('; ')}`)
    }
    // `verity memory` talks to node-1 by default: put its memory admin key where the CLI looks first.
    const firstAdminKey = join(dataDir, 'nodes', 'node-1', 'admin.key')
    if (existsSync(firstAdminKey)) {
      copyFileSync(firstAdminKey, join(dataDir, 'admin.key'))
      chmodSync(join(dataDir, 'admin.key'), 0o600)
    }
    return network
  } catch (error) {
    await stopAll()
    throw error
  }
}

export function networkFileOf(n: Pick<LocalNetwork, 'rpcUrl' | 'chainId' | 'deployment' | 'deploymentPath' | 'challengerKeyPath' | 'nodes'> & Partial<Pick<LocalNetwork, 'tee' | 'governanceKeyPath'>>): NetworkFile {
  return {
    version: 1, rpcUrl: n.rpcUrl, chainId: n.chainId, deploymentPath: n.deploymentPath, deployment: n.deployment, challengerKeyPath: n.challengerKeyPath,
    ...(n.tee && n.tee !== 'none' ? { tee: n.tee } : {}), ...(n.governanceKeyPath ? { governanceKeyPath: n.governanceKeyPath } : {}),
    nodes: n.nodes.filter(Boolean).map((x) => ({ url: x.url, address: x.address, stake: x.stake.toString() })),
  }
}


