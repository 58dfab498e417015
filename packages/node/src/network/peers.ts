/**
 * Models by CID from peers: when the local blob store lacks a CID, ask other nodes
 * (`GET /v1/blobs/:cid`) one after another, check that the bytes hash to the CID, and keep them in the
 * local blob store. Bytes that do not match are dropped and the next peer is asked.
 */
import { cidForBytes, VerityError } from '@verity/protocol'

export type PeerFetcher = (cid: string) => Promise<Uint8Array | null>

export function createPeerFetcher(p: {
  /** Peer base URLs to ask, freshest list each call (e.g. registry endpoints minus this node). */
  peers: () => Promise<readonly string[]>
  store: (bytes: Uint8Array, cid: string) => Promise<void>
  timeoutMs?: number
  log?: (message: string, details: Record<string, unknown>) => void
}): PeerFetcher {
  const inflight = new Map<string, Promise<Uint8Array | null>>()
  const fetchOne = async (cid: string): Promise<Uint8Array | null> => {
    const problems: string[] = []
    for (const peer of await p.peers()) {
      try {
        const response = await fetch(`${peer.replace(/\/+$/, '')}/v1/blobs/${encodeURIComponent(cid)}`, { signal: AbortSignal.timeout(p.timeoutMs ?? 120_000) })
        if (!response.ok) { problems.push(`${peer}: HTTP ${response.status}`); continue }
        const bytes = new Uint8Array(await response.arrayBuffer())
        const actual = cidForBytes(bytes)
        if (actual !== cid) {
          p.log?.('peer served bytes that do not match the CID', { peer, cid, actual })
          problems.push(`${peer}: bytes hash to ${actual}`)
          continue
        }
        await p.store(bytes, cid)
        p.log?.('fetched model from peer', { peer, cid, size: bytes.length })
        return bytes
      } catch (error) {
        problems.push(`${peer}: ${(error as Error).message}`)
      }
    }
    if (problems.length > 0) p.log?.('no peer served the model', { cid, problems })
    return null
  }
  return (cid) => {
    let pending = inflight.get(cid)
    if (!pending) {
      pending = fetchOne(cid).finally(() => inflight.delete(cid))
      inflight.set(cid, pending)
    }
    return pending
  }
}

export function modelNotFoundAnywhere(cid: string): VerityError {
  return new VerityError('MODEL_NOT_FOUND', `No model file with CID ${cid} in this hub, and no peer served it`, { details: { cid } })
}
