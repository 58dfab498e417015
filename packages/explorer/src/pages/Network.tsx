import { useEffect, useState } from 'react'
import type { NetworkNodeJson, NetworkResponse } from '@verity/protocol'
import { api } from '../lib/api.ts'
import type { ExplorerChainJson } from '../lib/chainTypes.ts'
import type { NodeOnChain, NodeStanding } from '../lib/chainCheck.ts'
import { useNode } from '../nav.tsx'
import { formatAge, formatCount, shortHex } from '../lib/format.ts'
import { hrefs } from '../lib/router.ts'
import { Link } from '../nav.tsx'
import { Problem } from '../components/Problem.tsx'
import { useApi } from '../useApi.ts'

const unknown = <span className="muted" title="Not known to this node">—</span>

function attestation(n: NetworkNodeJson) {
  if (!n.attestation) return unknown
  const { status, kind } = n.attestation
  const label = status === 'verified' ? `Verified${kind ? ` (${kind})` : ''}` : status === 'failed' ? 'Failed' : 'None'
  return <span className={`pill pill-${status}`}>{label}</span>
}

const eth = (wei: bigint) => `${(Number(wei / 10n ** 12n) / 1e6).toLocaleString('en', { maximumFractionDigits: 6 })} ETH`

function slashes(s: NodeStanding) {
  if (s.slashes.length === 0) return 'none'
  const total = s.slashes.reduce((sum, x) => sum + x.amount, 0n)
  const reasons = [...new Set(s.slashes.map((x) => x.reason))].join(', ')
  return <span title={s.slashes.map((x) => `block ${x.block}, transaction ${x.tx}`).join('\n')}>{s.slashes.length} ({reasons}; {eth(total)} slashed)</span>
}

function chainAttestation(s: NodeStanding) {
  const when = s.attestation ? `, recorded ${new Date(s.attestation.verifiedAt * 1000).toISOString().replace('.000Z', 'Z')}` : ''
  if (s.attested) return <span className="pill pill-verified">yes{when}</span>
  if (s.attestation && !s.attestation.valid) return <span className="pill pill-failed">failed{when}</span>
  return s.attestation ? `no (verdict not for its current measurement${when})` : 'no verdict recorded'
}

type ChainRows = { chain: ExplorerChainJson; nodes: Array<{ address: string; info: NodeOnChain | null; standing: NodeStanding | null }> } | { error: string }

/** Each node's registry entry, read from the chain by this browser (viem, loaded lazily) — not the node's word. */
function ChainFacts({ addresses }: { addresses: string[] }) {
  const [rows, setRows] = useState<ChainRows | null>(null)
  const key = addresses.join(',')
  useEffect(() => {
    let live = true
    Promise.all([api<ExplorerChainJson>('/v1/explorer/chain'), import('../lib/chainCheck.ts')])
      .then(async ([chain, m]) => ({
        chain,
        nodes: await Promise.all(addresses.map(async (address) => {
          const info = await m.readNode(chain, address)
          return { address, info, standing: info === null ? null : await m.readStanding(chain, address) }
        })),
      }))
      .then((r) => { if (live) setRows(r) }, (e: unknown) => { if (live) setRows({ error: (e as Error).message }) })
    return () => { live = false }
  }, [key])
  if (rows === null) return <p role="status">Reading the registry from the chain…</p>
  if ('error' in rows) return <p className="problem" role="alert">The chain could not be read from this browser: {rows.error}</p>
  const now = Date.now() / 1000
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Nodes on chain">
      <table className="nodes chain-nodes">
        <caption>Read by your browser from chain {rows.chain.chainId} (registry <code>{shortHex(rows.chain.nodeRegistry)}</code> at <code>{rows.chain.rpcUrl}</code>)</caption>
        <thead><tr><th scope="col">Node</th><th scope="col">Status</th><th scope="col">Stake</th><th scope="col">Heartbeat</th><th scope="col">Slashed</th><th scope="col">Disputes lost</th><th scope="col">TEE measurement</th><th scope="col">Attested on chain</th></tr></thead>
        <tbody>
          {rows.nodes.map(({ address, info, standing }) => (
            <tr key={address} data-chain-node={address} data-active={info?.active ? 'true' : 'false'}>
              <th scope="row"><code title={address}>{shortHex(address)}</code></th>
              <td>{info === null ? 'not registered' : info.active ? 'active' : info.leftAt ? 'left' : 'inactive'}</td>
              <td data-stake>{info ? eth(info.stake) : unknown}</td>
              <td>{info?.lastHeartbeat ? `${formatAge(Math.max(0, Math.round(now - info.lastHeartbeat)))} ago` : unknown}</td>
              <td>{info ? (info.slashedAt ? `yes, ${new Date(info.slashedAt * 1000).toISOString()}` : 'no') : unknown}</td>
              <td data-slashes={standing ? standing.slashes.length : undefined}>{standing ? slashes(standing) : unknown}</td>
              <td>{info ? (/^0x0+$/.test(info.measurement) ? 'none registered' : <code title={info.measurement}>{shortHex(info.measurement)}</code>) : unknown}</td>
              <td data-attested={standing ? String(standing.attested) : undefined}>{standing ? chainAttestation(standing) : unknown}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

export function NetworkPage() {
  const self = useNode()
  const network = useApi<NetworkResponse>('/v1/network')
  return (
    <>
      <h1 tabIndex={-1}>Network</h1>
      <p className="lead">
        The nodes this node knows, and what is known about each: where it listens, the address that signs its receipts,
        whether its hardware attestation checks out, when it last sent a heartbeat on chain, how many receipts it has served and
        how many disputes it faces. A dash means this node does not know that fact.
      </p>
      {network.state === 'loading' ? <p role="status">Loading nodes…</p> : null}
      {network.state === 'error' ? <Problem error={network.error} what="The node list could not be loaded." /> : null}
      {network.state === 'ready' ? (
        <>
          <p>{network.data.nodes.length === 1 ? 'One node known.' : `${network.data.nodes.length} nodes known.`}
            {network.data.registry ? <> Registry <code>{shortHex(network.data.registry.address)}</code> on chain {network.data.registry.chainId}.</> : ' No chain registry is connected to this node, so only the node itself is listed.'}
          </p>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Nodes">
            <table className="nodes">
              <thead>
                <tr>
                  <th scope="col">Node</th><th scope="col">Endpoint</th><th scope="col">Attestation</th><th scope="col">Heartbeat</th>
                  <th scope="col">Receipts served</th><th scope="col">Disputes</th><th scope="col">Modes</th><th scope="col">Models</th>
                </tr>
              </thead>
              <tbody>
                {network.data.nodes.map((n) => (
                  <tr key={n.address} data-self={n.self ? 'true' : undefined}>
                    <th scope="row"><code title={n.address}>{shortHex(n.address)}</code>{n.self ? <span className="pill">this node</span> : null}</th>
                    <td>{n.endpoint ? <code>{n.endpoint}</code> : unknown}</td>
                    <td>{attestation(n)}</td>
                    <td>{n.heartbeatAgeSeconds !== undefined ? `${formatAge(n.heartbeatAgeSeconds)} ago` : unknown}</td>
                    <td>{n.receiptsServed !== undefined ? formatCount(n.receiptsServed) : unknown}</td>
                    <td>{n.disputes ? `${n.disputes.open} open / ${n.disputes.total}` : unknown}</td>
                    <td>{n.modes ? n.modes.join(', ') : unknown}</td>
                    <td>{n.models !== undefined ? formatCount(n.models) : unknown}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {self?.network ? <ChainFacts addresses={network.data.nodes.map((n) => n.address)} /> : null}
          <p><Link href={hrefs.stats()}>See this node's activity over time</Link> · <Link href={hrefs.models()}>Browse its models</Link></p>
        </>
      ) : null}
    </>
  )
}
