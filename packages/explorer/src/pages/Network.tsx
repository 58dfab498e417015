import type { NetworkNodeJson, NetworkResponse } from '@verity/protocol'
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

export function NetworkPage() {
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
          <p><Link href={hrefs.stats()}>See this node's activity over time</Link> · <Link href={hrefs.models()}>Browse its models</Link></p>
        </>
      ) : null}
    </>
  )
}
