/**
 * API keys: an admin key (a file in the node's data dir, mode 0600) and scoped keys created for one
 * user. Only the SHA-256 of a key is stored. Each key has a rate limit (requests per minute, token bucket)
 * whose bucket lives in the database (`memory_rate_limits`), so node processes sharing one PostgreSQL
 * enforce one limit per key, not one each.
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { VerityError } from '@verity/protocol'
import type { MemoryStore } from './store.ts'
import { assertUserId } from './validate.ts'

export const scopes = ['memories:read', 'memories:write', 'profile:read'] as const
export type Scope = (typeof scopes)[number]

export type Principal =
  | { admin: true; userId: null; keyId: 'admin'; scopes: Scope[]; rateLimit: number }
  | { admin: false; userId: string; keyId: string; scopes: Scope[]; rateLimit: number }

export type ApiKeyInfo = { id: string; user_id: string; scopes: Scope[]; rate_limit: number; created_at: string; revoked: boolean }

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex')

/**
 * Returns the node's admin key, creating `<dataDir>/admin.key` (mode 0600) on first call.
 */
export function ensureAdminKey(dataDir: string): string {
  const file = join(dataDir, 'admin.key')
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim()
    if (!/^vmk_admin_[A-Za-z0-9_-]{43}$/.test(key)) throw new VerityError('INTERNAL', `${file} does not hold a valid admin key; delete it to have a new one made`, { details: { file } })
    chmodSync(file, 0o600)
    return key
  }
  mkdirSync(dataDir, { recursive: true })
  const key = `vmk_admin_${randomBytes(32).toString('base64url')}`
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
  return key
}

export type Auth = {
  /** Creates a scoped key for one user; the key itself is returned once and never stored. */
  createApiKey(params: { user: string; scopes: readonly string[]; rateLimit?: number }): Promise<{ key: string; info: ApiKeyInfo }>
  /** Resolves a presented key; throws UNAUTHORIZED for a missing, unknown or revoked key. */
  authenticate(key: string | undefined): Promise<Principal>
  revokeApiKey(params: { id: string; user?: string | undefined }): Promise<void>
  listApiKeys(user: string): Promise<ApiKeyInfo[]>
  /** Spends one request of the key's rate limit; throws RATE_LIMITED (with retryAfterSeconds) when empty. */
  consume(principal: Principal): Promise<void>
}

export function createAuth(params: { store: MemoryStore; adminKey?: string | undefined; defaultRateLimit?: number; clock?: () => number }): Auth {
  const { store } = params
  const clock = params.clock ?? Date.now
  const adminHash = params.adminKey === undefined ? undefined : Buffer.from(hashKey(params.adminKey), 'hex')
  const defaultRateLimit = params.defaultRateLimit ?? 600

  return {
    async createApiKey({ user, scopes: requested, rateLimit }) {
      assertUserId(user, 'user')
      if (!Array.isArray(requested) || requested.length === 0) throw new VerityError('BAD_REQUEST', 'scopes must be a non-empty array', { details: { field: 'scopes', allowed: scopes } })
      const bad = requested.filter((s) => !(scopes as readonly string[]).includes(s))
      if (bad.length > 0) throw new VerityError('BAD_REQUEST', `unknown scope ${JSON.stringify(bad[0])} in scopes; allowed: ${scopes.join(', ')}`, { details: { field: 'scopes', invalid: bad, allowed: scopes } })
      const limit = rateLimit ?? defaultRateLimit
      if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) throw new VerityError('BAD_REQUEST', `rate_limit must be an integer 1..1000000 requests per minute, got ${String(rateLimit)}`, { details: { field: 'rate_limit' } })
      const secret = randomBytes(32).toString('base64url')
      const id = `key_${randomBytes(8).toString('hex')}`
      const key = `vmk_${secret}`
      const now = clock()
      const uniqueScopes = [...new Set(requested)] as Scope[]
      await store.query('INSERT INTO memory_api_keys (id, key_hash, user_id, scopes, rate_limit, created_at) VALUES ($1,$2,$3,$4,$5,$6)', [id, hashKey(key), user, uniqueScopes, limit, now])
      return { key, info: { id, user_id: user, scopes: uniqueScopes, rate_limit: limit, created_at: new Date(now).toISOString(), revoked: false } }
    },

    async authenticate(key) {
      if (typeof key !== 'string' || key.length === 0) throw new VerityError('UNAUTHORIZED', 'no API key: send Authorization: Bearer KEY or X-API-Key: KEY')
      const h = hashKey(key)
      if (adminHash !== undefined && timingSafeEqual(Buffer.from(h, 'hex'), adminHash)) {
        return { admin: true, userId: null, keyId: 'admin', scopes: [...scopes], rateLimit: Number.MAX_SAFE_INTEGER }
      }
      const rows = await store.query<{ id: string; user_id: string; scopes: string[]; rate_limit: number; revoked_at: number | null }>(
        'SELECT id, user_id, scopes, rate_limit, revoked_at FROM memory_api_keys WHERE key_hash = $1',
        [h],
      )
      const row = rows[0]
      if (row === undefined || row.revoked_at !== null) throw new VerityError('UNAUTHORIZED', 'API key is unknown or revoked')
      const principal: Principal = { admin: false, userId: row.user_id, keyId: row.id, scopes: row.scopes as Scope[], rateLimit: Number(row.rate_limit) }
      return principal
    },

    async revokeApiKey({ id, user }) {
      const rows = await store.query<{ id: string }>(
        `UPDATE memory_api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL${user === undefined ? '' : ' AND user_id = $3'} RETURNING id`,
        user === undefined ? [id, clock()] : [id, clock(), user],
      )
      if (rows.length === 0) throw new VerityError('NOT_FOUND', `API key ${id} not found`, { details: { id } })
    },

    async listApiKeys(user) {
      const rows = await store.query<{ id: string; user_id: string; scopes: string[]; rate_limit: number; created_at: number; revoked_at: number | null }>(
        'SELECT id, user_id, scopes, rate_limit, created_at, revoked_at FROM memory_api_keys WHERE user_id = $1 ORDER BY created_at, id',
        [user],
      )
      return rows.map((r) => ({ id: r.id, user_id: r.user_id, scopes: r.scopes as Scope[], rate_limit: Number(r.rate_limit), created_at: new Date(Number(r.created_at)).toISOString(), revoked: r.revoked_at !== null }))
    },

    async consume(principal) {
      if (principal.admin) return
      const now = clock()
      const limit = principal.rateLimit
      const perMs = limit / 60_000
      // One statement, under the row's lock: refill for the time elapsed, then take a token if a whole
      // one is there. Concurrent requests from any process serialise on the key's row.
      const [row] = await store.query<{ tokens: number; allowed: boolean }>(
        `INSERT INTO memory_rate_limits AS b (key_id, user_id, tokens, at, allowed) VALUES ($1, $2, $3::float8 - 1, $4, true)
         ON CONFLICT (key_id) DO UPDATE SET
           tokens = LEAST($3::float8, b.tokens + GREATEST(0, $4::float8 - b.at) * $5::float8) - CASE WHEN LEAST($3::float8, b.tokens + GREATEST(0, $4::float8 - b.at) * $5::float8) >= 1 THEN 1 ELSE 0 END,
           allowed = LEAST($3::float8, b.tokens + GREATEST(0, $4::float8 - b.at) * $5::float8) >= 1,
           at = GREATEST(b.at, $4::float8)
         RETURNING tokens, allowed`,
        [principal.keyId, principal.userId, limit, now, perMs],
      )
      if (row!.allowed) return
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - Number(row!.tokens)) / perMs / 1000))
      throw new VerityError('RATE_LIMITED', `API key ${principal.keyId} exceeded its limit of ${limit} requests per minute`, { details: { key_id: principal.keyId, limit_per_minute: limit, retry_after_seconds: retryAfterSeconds } })
    },
  }
}
