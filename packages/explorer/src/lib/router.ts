/** The explorer's client routes; every URL is shareable and served by the node's SPA fallback. */
export type Route =
  | { page: 'network' }
  | { page: 'models'; q: string }
  | { page: 'model'; owner: string; name: string }
  | { page: 'receipt'; id: string }
  | { page: 'verify' }
  | { page: 'stats' }
  | { page: 'memory' }
  | { page: 'not-found'; path: string }

export function matchRoute(pathname: string, search = ''): Route {
  const path = pathname.replace(/\/+$/, '') || '/'
  const parts = path.split('/').slice(1).map((p) => { try { return decodeURIComponent(p) } catch { return p } })
  if (path === '/' || path === '/network') return { page: 'network' }
  if (parts[0] === 'models' && parts.length === 1) return { page: 'models', q: new URLSearchParams(search).get('q') ?? '' }
  if (parts[0] === 'models' && parts.length === 3) return { page: 'model', owner: parts[1]!, name: parts[2]! }
  if (parts[0] === 'receipts' && parts.length === 2) return { page: 'receipt', id: parts[1]! }
  if (path === '/verify') return { page: 'verify' }
  if (path === '/stats') return { page: 'stats' }
  if (path === '/memory') return { page: 'memory' }
  return { page: 'not-found', path }
}

export const hrefs = {
  network: () => '/',
  models: (q = '') => (q ? `/models?q=${encodeURIComponent(q)}` : '/models'),
  model: (owner: string, name: string) => `/models/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`,
  receipt: (id: string) => `/receipts/${id}`,
  verify: () => '/verify',
  stats: () => '/stats',
  memory: () => '/memory',
}
