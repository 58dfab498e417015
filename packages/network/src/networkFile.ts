/**
 * `<data-dir>/network.json`, written by `verity up`: where the chain is, the deployment, and the nodes.
 * The CLI reads `./.verity/network.json` by default, so that `verity infer --mode quorum` just works.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { VerityDeployment } from '@verity/chain'
import { VerityError } from '@verity/protocol'

export type NetworkFile = {
  version: 1
  rpcUrl: string
  chainId: number
  deploymentPath: string
  deployment: VerityDeployment
  /** A funded key the CLI uses to open disputes on this local network. */
  challengerKeyPath?: string | undefined
  nodes: Array<{ url: string; address: string; stake: string }>
  /** The nodes' TEE setting when not 'none' ('dev': clients accept dev attestations from this network). */
  tee?: string | undefined
  /** Governance key of a local anvil chain (for `verity network measurement allow|revoke`). */
  governanceKeyPath?: string | undefined
}

export function writeNetworkFile(path: string, file: NetworkFile): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`)
  renameSync(tmp, path)
}

export function readNetworkFile(path: string): NetworkFile {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (cause) {
    throw new VerityError('DEPLOYMENT_NOT_FOUND', `No readable network file at ${path}`, { cause, details: { path }, hint: 'Start a local network with `verity up`, or pass --chain URL --deployment FILE.' })
  }
  const f = raw as NetworkFile
  if (f === null || typeof f !== 'object' || typeof f.rpcUrl !== 'string' || typeof f.deployment !== 'object' || !Array.isArray(f.nodes)) {
    throw new VerityError('BAD_REQUEST', `${path} is not a Verity network file (rpcUrl, deployment, nodes)`, { details: { path } })
  }
  return f
}
