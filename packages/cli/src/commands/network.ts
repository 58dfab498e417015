/**
 * The network half of the CLI: `verity up` (chain + nodes), quorum inference, on-chain verification,
 * disputes. Where the network is comes from `--chain URL --deployment FILE`, or else the network file
 * `verity up` writes (`--network FILE`, VERITY_NETWORK, default ./.verity/network.json).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadDeployment, type VerityDeployment } from '@verity/chain'
// @verity/network/file only: the orchestrator (and the whole node) loads only for `verity up`.
import { readNetworkFile, type NetworkFile } from '@verity/network/file'
import { VerityError, type Hex, type InferenceResult, type Mode } from '@verity/protocol'
import { createNetworkClient, quorumModeVerifier, QuorumDisagreementError, type QuorumDisagreement } from '@verity/sdk/network'
import { teeVerifier, verifyReceipt } from '@verity/sdk'
import { formatEther } from 'viem'
import { sampleModel } from '@verity/samples'
import { readJsonFile, writeFileAtomic } from '../files.ts'
import { renderChecks } from '../checks.ts'
import { ExitError } from '../errors.ts'
import { color, info, out, table, untilSignal } from '../output.ts'

export type NetworkOptions = { chain?: string; deployment?: string; network?: string }

export const defaultNetworkFile = (): string => process.env.VERITY_NETWORK ?? '.verity/network.json'

/** True when the options or the default network file point at a network. */
export function hasNetwork(o: NetworkOptions): boolean {
  return o.chain !== undefined || o.network !== undefined || existsSync(defaultNetworkFile())
}

export function resolveNetwork(o: NetworkOptions): { rpcUrl: string; deployment: VerityDeployment; file: NetworkFile | null } {
  if (o.chain) {
    const deploymentPath = o.deployment ?? (existsSync(defaultNetworkFile()) ? readNetworkFile(defaultNetworkFile()).deploymentPath : undefined)
    if (!deploymentPath) throw new ExitError(1, `--chain ${o.chain} needs --deployment FILE (the deployment JSON with the contract addresses).`)
    return { rpcUrl: o.chain, deployment: loadDeployment(deploymentPath), file: null }
  }
  const path = o.network ?? defaultNetworkFile()
  if (!existsSync(path)) throw new ExitError(1, `No network found: ${path} does not exist. Start a local network with \`verity up\`, or pass --chain URL --deployment FILE.`)
  const file = readNetworkFile(path)
  return { rpcUrl: file.rpcUrl, deployment: o.deployment ? loadDeployment(o.deployment) : file.deployment, file }
}

export type UpNetworkOptions = {
  dataDir: string; port: number; host: string; seed: boolean; workers?: number
  nodes: number; chain?: string; deployment?: string; settleInterval?: number; samples?: string; funderKeyFile?: string
  /** NAME=URL LLM upstreams for every node (keys: VERITY_LLM_KEY_<NAME> in the environment the nodes inherit). */
  llmProvider?: string[]
  tee?: 'none' | 'dev' | 'auto' | 'nitro' | 'configfs-tsm' | 'sev-guest'
}

/** `verity up`: anvil + contracts + N node processes; Ctrl-C settles, stops the nodes, then the chain. */
export async function upNetwork(o: UpNetworkOptions): Promise<void> {
  info(color.dim(`Starting a Verity network in ${o.dataDir}…`))
  const { startLocalNetwork } = await import('@verity/network')
  let funderKey: Hex | undefined
  if (o.funderKeyFile) {
    const text = readFileSync(o.funderKeyFile, 'utf8').trim()
    if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new ExitError(1, `${o.funderKeyFile} does not hold a 0x-prefixed 32-byte hex key.`)
    funderKey = text as Hex
  }
  const network = await startLocalNetwork({
    dataDir: o.dataDir, nodes: o.nodes, host: o.host, basePort: o.port || undefined, workers: o.workers ?? 1,
    chain: o.chain ? { rpcUrl: o.chain, deploymentPath: o.deployment } : undefined,
    settleIntervalMs: o.settleInterval, funderKey, samples: o.seed ? (o.samples ? o.samples.split(',').map((s) => s.trim()) : undefined) : [],
    onProgress: (m) => info(color.dim(`  ${m}`)), tee: o.tee,
    ...(o.llmProvider?.length ? { nodeEnv: () => ({ VERITY_LLM_PROVIDERS: o.llmProvider!.join(',') }) } : {}),
  })
  const d = network.deployment
  out()
  out(color.bold(color.green(`Verity is up: ${network.nodes.length} nodes on chain ${network.chainId}.`)))
  out(table([
    ['chain', `${network.rpcUrl}${network.anvil ? `  (anvil, state in ${resolve(o.dataDir, 'chain')})` : ''}`],
    ['NodeRegistry', d.nodeRegistry],
    ['ModelRegistry', d.modelRegistry],
    ['Settlement', d.settlement],
    ['Disputes', d.disputes],
    ['deployment', network.deploymentPath],
    ['network file', network.networkFilePath],
    ['explorer', `${network.nodes[0]?.url ?? ''}/  (receipts re-verified in your browser)`],
    ['memory', `${network.nodes[0]?.url ?? ''}/v1/memories  (admin key in ${join(o.dataDir, 'admin.key')})`],
    ...(network.verifier ? [
      ['TEE', `${network.tee}${network.tee === 'dev' ? '  (INSECURE dev attester: for development only; its measurement is allow-listed)' : ''}`],
      ['verifier', `${network.verifier.address}  (records attestations on chain; VERIFIER_ROLE)`],
    ] : []),
  ]))
  out()
  out(color.bold('Nodes'))
  const attested = new Map<string, string>()
  if (network.verifier) {
    const { createVerityClient, getAttestation } = await import('@verity/chain')
    const chain = createVerityClient({ rpcUrl: network.rpcUrl, deployment: d })
    for (const n of network.nodes) {
      const a = await getAttestation(chain, { signer: n.address }).catch(() => null)
      attested.set(n.address, a?.attested ? color.green('TEE attested') : a && a.verifiedAt !== 0 && !a.valid ? color.red('attestation INVALID') : color.yellow('not attested yet'))
    }
  }
  out(table(network.nodes.map((n) => [`node-${n.index + 1}`, n.url, n.address, `${formatEther(n.stake)} ETH staked`, ...(attested.size ? [attested.get(n.address) ?? ''] : []), n.dataDir])))
  const models = network.nodes[0]?.models ?? []
  if (models.length > 0) {
    out()
    out(color.bold('Models (in every node)'))
    out(table(models.map((m) => [m.ref, m.cid])))
    out()
    out(color.bold('Try it'))
    out(`  echo '${JSON.stringify(sampleModel('verity/tiny-mlp').exampleInput())}' > input.json`)
    out(`  npx verity infer --model ${models.find((m) => m.ref.startsWith('verity/tiny-mlp'))?.ref ?? models[0]!.ref} --input input.json --mode quorum --k ${Math.min(3, network.nodes.length)} --out result.json`)
    out(`  npx verity verify --onchain result.json   # once settled: nodes post roots every ${Math.round((o.settleInterval ?? 60_000) / 1000)} s`)
    if (network.verifier) {
      out(`  npx verity infer --model ${models.find((m) => m.ref.startsWith('verity/tiny-mlp'))?.ref ?? models[0]!.ref} --input input.json --mode tee --out tee.json`)
      out('  npx verity network nodes                     # attested nodes and their measurements')
    }
  }
  out()
  out(color.dim('Press Ctrl-C to stop (nodes settle their pending receipts first).'))
  await untilSignal('Stopping: settling receipts, stopping nodes, then the chain…', () => network.stop())
}

export type NetworkInferOptions = NetworkOptions & { model: string; input: Record<string, unknown>; mode: string; k: number; timeout: number; out?: string; allowDevTee?: boolean }

/** The dev attester is accepted when asked for, or for a local network started with `verity up --tee dev`. */
export function allowDevTeeFor(o: { allowDevTee?: boolean }, file: NetworkFile | null): boolean {
  const allow = o.allowDevTee === true || file?.tee === 'dev'
  if (allow) info(color.yellow(`  Accepting INSECURE dev TEE attestations${o.allowDevTee ? ' (--allow-dev-tee)' : ' (this network was started with --tee dev)'}.`))
  return allow
}

/** Inference through the network client: discovery, failover, quorum. Returns the verified result. */
export async function inferOnNetwork(o: NetworkInferOptions) {
  const { rpcUrl, deployment, file } = resolveNetwork(o)
  const client = createNetworkClient({ rpcUrl, deployment, timeoutMs: o.timeout, allowDevTee: o.mode === 'tee' && allowDevTeeFor(o, file) })
  info(color.dim(`Running ${o.model} on the network at ${rpcUrl} (mode ${o.mode}${o.mode === 'quorum' ? `, k = ${o.k}` : ''})…`))
  try {
    return await client.infer({ model: o.model, input: o.input, mode: o.mode as Lowercase<Mode>, k: o.k, timeoutMs: o.timeout })
  } catch (error) {
    if (error instanceof QuorumDisagreementError) {
      out(color.red(color.bold(`Nodes disagree: no ${error.report.k} nodes signed the same output. Do not use it.`)))
      out(table(error.report.groups.map((g) => [`output ${g.outputHash.slice(0, 18)}…`, g.votes.map((v) => `${v.receipt.node} (${v.node})`).join(', ')])))
      if (o.out) {
        writeFileAtomic(o.out, `${JSON.stringify(error.report, null, 2)}\n`)
        out(`\n  The signed receipts are saved in ${o.out}; slash the outvoted node with: verity dispute ${o.out}`)
      }
      throw new ExitError(1)
    }
    throw error
  }
}

export type VerifyNetworkOptions = NetworkOptions & { onchain?: boolean; signer?: string[]; json?: boolean; k?: number; allowDevTee?: boolean }

/**
 * `verity verify` with the network: offline checks, registry membership, with --onchain settlement
 * inclusion, and for TEE results the attestation on chain (attested, measurement still allowed).
 */
export async function verifyOnNetwork(file: string, o: VerifyNetworkOptions): Promise<void> {
  const result = readJsonFile(file)
  const { rpcUrl, deployment, file: net } = resolveNetwork(o)
  const isTee = (result as InferenceResult | null)?.receipt?.mode === 'TEE'
  const client = createNetworkClient({ rpcUrl, deployment, allowDevTee: isTee && allowDevTeeFor(o, net) })
  const verification = await client.verify(result, { onchain: o.onchain, k: o.k, trustedSigners: o.signer })
  if (o.json) out(JSON.stringify(verification, null, 2))
  else {
    out(`Checking ${file} against chain ${deployment.chainId} at ${rpcUrl}`)
    out()
    out(renderChecks(verification.checks))
  }
  if (!verification.ok) throw new ExitError(1)
}

/**
 * Offline verification that knows the QUORUM and TEE verifiers (used by `verity verify` without a
 * chain). TEE evidence is checked as of the receipt's time: it had to be fresh when the node signed.
 */
export function verifyOffline(result: unknown, trustedSigners: string[] | undefined, k?: number, allowDevTee = false) {
  const mode = (result as InferenceResult | null)?.receipt?.mode
  const modeVerifier = mode === 'QUORUM' ? quorumModeVerifier({ k }) : mode === 'TEE' ? teeVerifier({ allowDevTee }, { atReceiptTime: true }) : undefined
  return verifyReceipt(result, { trustedSigners, modeVerifier })
}

export type DisputeOptions = NetworkOptions & { keyFile?: string; json?: boolean }

/** `verity dispute FILE`: slash the nodes a saved quorum disagreement (or a quorum result's dissent) proves wrong. */
export async function dispute(file: string, o: DisputeOptions): Promise<void> {
  const report = readJsonFile(file) as QuorumDisagreement | InferenceResult
  const { rpcUrl, deployment, file: net } = resolveNetwork(o)
  const keyFile = o.keyFile ?? net?.challengerKeyPath
  if (!keyFile) throw new ExitError(1, 'Pass --key-file FILE: a funded key (0x-hex) that sends the dispute transaction and earns the challenger reward.')
  let key: string
  try {
    key = readFileSync(keyFile, 'utf8').trim()
  } catch (error) {
    throw new ExitError(1, `Cannot read the key file ${keyFile}: ${(error as Error).message}`)
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new ExitError(1, `${keyFile} does not hold a 0x-prefixed 32-byte hex key.`)
  const client = createNetworkClient({ rpcUrl, deployment, account: key as Hex })
  let results
  try {
    results = await client.dispute(report)
  } catch (error) {
    if (error instanceof VerityError) throw new ExitError(1, `Dispute not opened: ${error.message}`)
    throw error
  }
  if (o.json) {
    out(JSON.stringify(results.map((r) => ({ kind: r.kind, slashed: r.slashed, tx: r.hash })), null, 2))
    return
  }
  out(color.bold(color.green(`Slashed ${results.length} node${results.length === 1 ? '' : 's'}:`)))
  out(table(results.map((r) => [r.slashed, r.kind === 'quorum' ? 'outvoted by the quorum' : 'signed two outputs for one request', `tx ${r.hash}`])))
}

type GovernanceOptions = NetworkOptions & { keyFile?: string; json?: boolean }

function readKeyFile(path: string): Hex {
  let key: string
  try {
    key = readFileSync(path, 'utf8').trim()
  } catch (error) {
    throw new ExitError(1, `Cannot read the key file ${path}: ${(error as Error).message}`)
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new ExitError(1, `${path} does not hold a 0x-prefixed 32-byte hex key.`)
  return key as Hex
}

/** A bytes32 measurement hash, or `dev` for the dev provider's. */
async function measurementHash(value: string): Promise<Hex> {
  if (value === 'dev') return (await import('@verity/tee')).DEV_NODE_MEASUREMENT_HASH
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new ExitError(2, `Measurement ${JSON.stringify(value)} is not a bytes32 hash (0x + 64 hex digits, the "measurement" of GET /v1/attestation) or "dev".`)
  }
  return value.toLowerCase() as Hex
}

async function governanceClient(o: GovernanceOptions) {
  const { createVerityClient } = await import('@verity/chain')
  const { rpcUrl, deployment, file } = resolveNetwork(o)
  const keyFile = o.keyFile ?? file?.governanceKeyPath
  if (!keyFile) throw new ExitError(1, 'Pass --key-file FILE: a key holding GOVERNANCE_ROLE on the NodeRegistry.')
  return createVerityClient({ rpcUrl, deployment, account: readKeyFile(keyFile) })
}

const when = (seconds: number) => (seconds === 0 ? 'never' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z'))

async function governanceAction(action: 'allow' | 'revoke', value: string, o: GovernanceOptions): Promise<void> {
  const hash = await measurementHash(value)
  const chain = await import('@verity/chain')
  const client = await governanceClient(o)
  let tx: Hex
  try {
    tx = (action === 'allow' ? await chain.allowMeasurement(client, { measurement: hash }) : await chain.revokeMeasurement(client, { measurement: hash })).hash
  } catch (error) {
    if (error instanceof VerityError) throw new ExitError(1, `Measurement not ${action === 'allow' ? 'allowed' : 'revoked'}: ${error.message}`)
    throw error
  }
  const status = await chain.getMeasurementStatus(client, { measurement: hash })
  const affected = (await chain.listNodes(client)).filter((n) => n.measurement === hash)
  if (o.json) {
    out(JSON.stringify({ ...status, tx, nodes: affected.map((n) => ({ signer: n.signer, endpoint: n.endpoint, active: n.active })) }, null, 2))
    return
  }
  out(color.bold(action === 'allow' ? color.green(`Allowed measurement ${hash}`) : color.red(`Revoked measurement ${hash}`)))
  out(table([['allowed at', when(status.allowedAt)], ['revoked at', when(status.revokedAt)], ['tx', tx]]))
  if (affected.length > 0) {
    out()
    out(color.bold(`Nodes registered with it (${affected.length})`))
    out(table(affected.map((n) => [n.signer, n.endpoint, n.active ? color.green('active') : color.red('inactive')])))
  }
}

export const measurementAllow = (value: string, o: GovernanceOptions) => governanceAction('allow', value, o)
export const measurementRevoke = (value: string, o: GovernanceOptions) => governanceAction('revoke', value, o)

export async function measurementStatus(value: string, o: NetworkOptions & { json?: boolean }): Promise<void> {
  const hash = await measurementHash(value)
  const { createVerityClient, getMeasurementStatus } = await import('@verity/chain')
  const { rpcUrl, deployment } = resolveNetwork(o)
  const status = await getMeasurementStatus(createVerityClient({ rpcUrl, deployment }), { measurement: hash })
  if (o.json) { out(JSON.stringify(status, null, 2)); return }
  out(table([
    ['measurement', hash],
    ['status', status.allowed ? color.green('allowed') : status.revokedAt ? color.red('revoked') : color.yellow('never allowed')],
    ['allowed at', when(status.allowedAt)], ['revoked at', when(status.revokedAt)],
  ]))
}

/** `verity network nodes`: every registered node with its standing and attestation. */
export async function listNetworkNodes(o: NetworkOptions & { json?: boolean }): Promise<void> {
  const { createVerityClient, getAttestation, listNodes } = await import('@verity/chain')
  const { rpcUrl, deployment } = resolveNetwork(o)
  const client = createVerityClient({ rpcUrl, deployment })
  const rows = await Promise.all((await listNodes(client)).map(async (n) => ({ ...n, stake: n.stake.toString(), attestation: await getAttestation(client, { signer: n.signer }) })))
  if (o.json) { out(JSON.stringify(rows, null, 2)); return }
  const tee = (r: (typeof rows)[number]) => {
    if (/^0x0{64}$/.test(r.measurement)) return color.dim('no TEE')
    const a = r.attestation
    const state = a.attested ? color.green('attested') : a.verifiedAt === 0 ? color.yellow('not yet checked') : !a.valid ? color.red('attestation INVALID') : color.red('not attested (measurement not allowed)')
    return `${state}  measurement ${r.measurement.slice(0, 18)}…${a.verifiedAt ? `  checked ${when(a.verifiedAt)}` : ''}`
  }
  out(table(rows.map((r) => [r.signer, r.endpoint, r.active ? color.green('active') : color.red('inactive'), tee(r)])))
}

/** `verity network verifier`: the attestation verifier as a long-running process (or one pass with --once). */
export async function runVerifier(o: NetworkOptions & { keyFile: string; interval: number; allowDevTee?: boolean; once?: boolean; json?: boolean }): Promise<void> {
  const { startAttestationVerifier } = await import('@verity/network')
  const { rpcUrl, deployment } = resolveNetwork(o)
  if (o.allowDevTee) info(color.yellow('Accepting INSECURE dev TEE attestations (--allow-dev-tee): for development networks only.'))
  const verifier = startAttestationVerifier({
    rpcUrl, deployment, verifierKey: readKeyFile(o.keyFile), allowDevTee: o.allowDevTee, intervalMs: o.interval, log: (m) => info(color.dim(`  ${m}`)),
  })
  const verdicts = await verifier.checkAll()
  if (o.json) out(JSON.stringify(verdicts, null, 2))
  else {
    out(color.bold(`Attestation verifier ${verifier.address} on chain ${deployment.chainId}`))
    out(table(verdicts.map((v) => [v.signer, v.outcome, v.outcome === 'skipped' ? color.yellow('not checked') : v.valid ? color.green('valid') : color.red('INVALID'), v.reasons.join('; ')])))
  }
  if (o.once) { verifier.close(); return }
  out(color.dim(`\nRe-checking every ${Math.round(o.interval / 1000)} s and on new registrations. Press Ctrl-C to stop.`))
  await untilSignal('Stopping the verifier…', async () => verifier.close())
}
