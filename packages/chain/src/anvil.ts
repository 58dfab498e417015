/**
 * A local chain for development and tests: the anvil binary that ships in npm `@foundry-rs/anvil`'s
 * platform package (`@foundry-rs/anvil-linux-amd64` etc.). The wrapper's postinstall script never
 * needs to run: we resolve the platform package's `bin/anvil` directly, so nothing downloads.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { VerityError } from '@verity/protocol'

const require = createRequire(import.meta.url)

const platformPackages: Record<string, string> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
}

/** Path of the anvil binary for this platform, from the npm platform package. */
export function anvilBinaryPath(): string {
  const key = `${process.platform}-${process.arch}`
  const pkg = platformPackages[key]
  if (pkg === undefined) throw new VerityError('CHAIN_UNAVAILABLE', `No anvil binary is published for ${key}`, { details: { platform: key } })
  let path: string
  try {
    path = join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
    accessSync(path, constants.X_OK)
  } catch (cause) {
    throw new VerityError('CHAIN_UNAVAILABLE', `The anvil binary from ${pkg} is missing or not executable`, {
      details: { package: pkg }, cause, hint: `Run \`npm ci\` so that ${pkg} (an optional dependency of @foundry-rs/anvil) is installed.`,
    })
  }
  return path
}

export type StartAnvilParameters = {
  /** Directory holding state.json; the chain is loaded from it at start and dumped to it on stop. */
  dataDir?: string | undefined
  /** TCP port on 127.0.0.1; default: a free port. */
  port?: number | undefined
  /** Default 31337 (anvil's). */
  chainId?: number | undefined
  /** Seconds between blocks; default: a block per transaction (automine). */
  blockTime?: number | undefined
  /** With dataDir: also dump state every this many seconds (survives a crash); default only on stop. */
  stateInterval?: number | undefined
  /** Milliseconds to wait for the RPC to answer; default 15000. */
  timeoutMs?: number | undefined
  /**
   * Run anvil in its own process group, so that a terminal's Ctrl-C reaches only the parent, which
   * then stops anvil last (after nodes have settled). Default false.
   */
  detached?: boolean | undefined
}

export type StartAnvilReturnType = {
  rpcUrl: string
  port: number
  chainId: number
  /** Stops anvil (dumping state to dataDir when given) and waits for it to exit. Idempotent. */
  stop: () => Promise<void>
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function rpcChainId(rpcUrl: string): Promise<number | null> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    })
    const body = (await res.json()) as { result?: string }
    return typeof body.result === 'string' ? Number(BigInt(body.result)) : null
  } catch {
    return null
  }
}

/**
 * Starts anvil bound to 127.0.0.1 and resolves once its JSON-RPC answers.
 * @throws VerityError CHAIN_UNAVAILABLE when the binary is missing, exits early, or does not answer in time.
 * @example
 *   const anvil = await startAnvil({ dataDir: '/tmp/chain' })
 *   try { ... anvil.rpcUrl ... } finally { await anvil.stop() }
 */
export async function startAnvil(params: StartAnvilParameters = {}): Promise<StartAnvilReturnType> {
  const binary = anvilBinaryPath()
  const port = params.port ?? (await freePort())
  const chainId = params.chainId ?? 31337
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--silent']
  if (params.blockTime !== undefined) args.push('--block-time', String(params.blockTime))
  if (params.dataDir !== undefined) {
    mkdirSync(params.dataDir, { recursive: true })
    args.push('--state', join(params.dataDir, 'state.json'))
    if (params.stateInterval !== undefined) args.push('--state-interval', String(params.stateInterval))
  }
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: params.detached === true })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000) })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let exitCode: number | null = null
  child.once('exit', (code) => { exitCode = code ?? -1 })

  const rpcUrl = `http://127.0.0.1:${port}`
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return exited
    stopped = true
    if (exitCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
  }

  const deadline = Date.now() + (params.timeoutMs ?? 15_000)
  for (;;) {
    if (exitCode !== null) {
      throw new VerityError('CHAIN_UNAVAILABLE', `anvil exited with code ${exitCode} before answering on ${rpcUrl}`, { details: { args, stderr } })
    }
    const answered = await rpcChainId(rpcUrl)
    if (answered !== null) {
      if (answered !== chainId) {
        await stop()
        throw new VerityError('CHAIN_UNAVAILABLE', `Port ${port} answers with chain id ${answered}, not the anvil just started (${chainId})`, { details: { port } })
      }
      return { rpcUrl, port, chainId, stop }
    }
    if (Date.now() > deadline) {
      await stop()
      throw new VerityError('CHAIN_UNAVAILABLE', `anvil did not answer on ${rpcUrl} within ${params.timeoutMs ?? 15_000} ms`, { details: { args, stderr } })
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}
