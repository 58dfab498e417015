import { lazy, Suspense, useEffect, useRef, useState } from 'react'
import type { HealthResponse } from '@verity/protocol'
import { api } from './lib/api.ts'
import { hrefs, matchRoute, type Route } from './lib/router.ts'
import { shortHex } from './lib/format.ts'
import { Link, NodeContext, useLocation } from './nav.tsx'
import { NetworkPage } from './pages/Network.tsx'
import { ModelsPage } from './pages/Models.tsx'
import { ModelPage } from './pages/Model.tsx'
import { ReceiptPage } from './pages/Receipt.tsx'
import { VerifyPage } from './pages/Verify.tsx'

// Charts are not needed on first load.
const StatsPage = lazy(() => import('./pages/Stats.tsx'))
// Memory verification carries its own hashing code; only readers of the memory page need it.
const MemoryPage = lazy(() => import('./pages/Memory.tsx'))

const nav: Array<{ href: string; label: string; pages: Route['page'][] }> = [
  { href: hrefs.network(), label: 'Network', pages: ['network'] },
  { href: hrefs.models(), label: 'Models', pages: ['models', 'model'] },
  { href: hrefs.verify(), label: 'Verify a result', pages: ['verify', 'receipt'] },
  { href: hrefs.stats(), label: 'Activity', pages: ['stats'] },
  { href: hrefs.memory(), label: 'Memory', pages: ['memory'] },
]

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'network': return <NetworkPage />
    case 'models': return <ModelsPage q={route.q} />
    case 'model': return <ModelPage owner={route.owner} name={route.name} />
    case 'receipt': return <ReceiptPage id={route.id} />
    case 'verify': return <VerifyPage />
    case 'stats': return <Suspense fallback={<p role="status">Loading charts…</p>}><StatsPage /></Suspense>
    case 'memory': return <Suspense fallback={<p role="status">Loading the memory page…</p>}><MemoryPage /></Suspense>
    case 'not-found': return (
      <>
        <h1 tabIndex={-1}>Page not found</h1>
        <p>Nothing lives at <code>{route.path}</code>. Try the <Link href={hrefs.models()}>models</Link> or <Link href={hrefs.verify()}>verify a result</Link>.</p>
      </>
    )
  }
}

export function App() {
  const { pathname, search } = useLocation()
  const route = matchRoute(pathname, search)
  const [health, setHealth] = useState<HealthResponse | null>(null)
  const main = useRef<HTMLElement>(null)
  const first = useRef(true)

  useEffect(() => {
    api<HealthResponse>('/v1/health').then(setHealth).catch(() => setHealth(null))
  }, [])
  // Move focus to the new page's heading so keyboard and screen-reader users land on it.
  useEffect(() => {
    if (first.current) { first.current = false; return }
    const t = setTimeout(() => (main.current?.querySelector('h1') as HTMLElement | null)?.focus(), 0)
    return () => clearTimeout(t)
  }, [pathname])

  return (
    <NodeContext.Provider value={health}>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <Link href="/" className="brand">Verity <span>explorer</span></Link>
        <nav aria-label="Main">
          <ul>
            {nav.map((n) => (
              <li key={n.href}><Link href={n.href} aria-current={n.pages.includes(route.page) ? 'page' : undefined}>{n.label}</Link></li>
            ))}
          </ul>
        </nav>
        <p className="node-id" aria-label="Node serving this page">
          {health ? <>node <code title={health.address}>{shortHex(health.address)}</code> · chain {health.chainId}</> : 'node unreachable'}
        </p>
      </header>
      <main id="main" ref={main}>
        <Page route={route} />
      </main>
      <footer>
        Every check on these pages runs in your browser with <code>@verity/protocol</code>; the node's word is never taken for it.
        {' '}<a href="/openapi.json">API</a>
      </footer>
    </NodeContext.Provider>
  )
}
