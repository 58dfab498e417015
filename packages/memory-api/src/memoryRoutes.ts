/**
 * The memory HTTP API (MemSync-style REST) as a Fastify 5 plugin. Register it inside the node:
 *   app.register(memoryRoutes, { service, auth })
 * Every route authenticates (Authorization: Bearer KEY or X-API-Key), checks the key's scope and rate
 * limit, and acts only on the key's own user (admin keys name the user). Another user's memory ids get
 * 404, exactly like ids that do not exist. Errors are `{ error: { code, message, details, hint } }`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { VerityError } from '@verity/protocol'
import { categories, limits, scopes, type Auth, type MemoryService, type Principal, type Scope } from '@verity/memory'

export type MemoryRoutesOptions = { service: MemoryService; auth: Auth; /** Max request body in bytes (default 4 MiB). */ bodyLimit?: number }

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
  interface FastifyContextConfig {
    scope?: Scope | 'admin'
  }
}

const idString = { type: 'string', minLength: 1, maxLength: limits.maxIdChars } as const
const categoryList = { type: 'array', items: { type: 'string', enum: [...categories] }, maxItems: 10 } as const
const memorySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    user_id: { type: 'string' },
    text: { type: 'string' },
    categories: { type: 'array', items: { type: 'string' } },
    type: { type: 'string' },
    importance: { type: 'number' },
    event_time: { type: 'string' },
    record_time: { type: 'string' },
    updated_at: { type: 'string' },
    sources: { type: 'array', items: { type: 'string' } },
    extractor: { type: 'string' },
    agent_id: { type: ['string', 'null'] },
    thread_id: { type: ['string', 'null'] },
    metadata: { type: ['object', 'null'], additionalProperties: true },
    reinforced: { type: 'integer' },
    score: { type: 'number' },
  },
} as const
const profileSchema = {
  type: 'object',
  properties: {
    user_id: { type: 'string' },
    bio: { type: 'string' },
    categories: { type: 'array', items: { type: 'object', properties: { category: { type: 'string' }, summary: { type: 'string' }, memory_count: { type: 'integer' } } } },
    generator: { type: 'string' },
    memory_count: { type: 'integer' },
    updated_at: { type: 'string' },
  },
} as const
const errorSchema = { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true }, hint: { type: 'string' } } } } } as const
const errors = { '4xx': errorSchema, '5xx': errorSchema }

function presentedKey(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization
  if (typeof h === 'string' && /^Bearer\s+/i.test(h)) return h.replace(/^Bearer\s+/i, '').trim()
  const x = req.headers['x-api-key']
  return typeof x === 'string' ? x.trim() : undefined
}

/** The user a request acts on: the key's own user, or for the admin key the user it names. */
function actingUser(req: FastifyRequest, named: unknown): string {
  const p = req.principal!
  if (p.admin) {
    if (typeof named !== 'string' || named.length === 0) throw new VerityError('BAD_REQUEST', 'user_id is required with the admin key', { details: { field: 'user_id' } })
    return named
  }
  if (named !== undefined && named !== p.userId) throw new VerityError('FORBIDDEN', 'this API key belongs to another user: user_id must be the key\'s own user (or left out)', { details: { field: 'user_id' } })
  return p.userId
}

export async function memoryRoutes(app: FastifyInstance, options: MemoryRoutesOptions): Promise<void> {
  const { service, auth } = options

  app.setErrorHandler((error: unknown, req, reply) => {
    let e: VerityError
    const err = error as { code?: string; statusCode?: number; validation?: unknown; validationContext?: string; message?: string }
    if (error instanceof VerityError) e = error
    else if (err.validation !== undefined) e = new VerityError('BAD_REQUEST', `invalid ${err.validationContext ?? 'request'}: ${err.message ?? ''}`, { details: { validation: err.validation } })
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new VerityError('INPUT_TOO_LARGE', `request body exceeds ${options.bodyLimit ?? 4 * 1024 * 1024} bytes`, { details: {} })
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (err.statusCode === 400 && typeof err.message === 'string')) e = new VerityError('BAD_REQUEST', err.message ?? 'bad request', { details: {} })
    else {
      req.log.error({ err: error }, 'memory api internal error')
      e = new VerityError('INTERNAL', 'internal error', { details: {} })
    }
    if (e.code === 'RATE_LIMITED') void reply.header('retry-after', String(e.details.retry_after_seconds ?? 1))
    void reply.status(e.status).send(e.toJSON())
  })

  app.addHook('onRequest', async (req) => {
    const principal = await auth.authenticate(presentedKey(req))
    await auth.consume(principal)
    const need = req.routeOptions.config.scope
    if (need === 'admin' && !principal.admin) throw new VerityError('FORBIDDEN', 'this route needs the admin key', { details: {} })
    if (need !== undefined && need !== 'admin' && !principal.scopes.includes(need)) throw new VerityError('FORBIDDEN', `this API key lacks the scope ${need}`, { details: { required: need, granted: principal.scopes } })
    req.principal = principal
  })

  const bodyLimit = options.bodyLimit ?? 4 * 1024 * 1024

  app.post<{ Body: { messages: { id?: string; role: string; content: string; name?: string; timestamp?: string | number }[]; user_id?: string; agent_id?: string; thread_id?: string; source?: string; metadata?: Record<string, unknown> }; Querystring: { wait?: boolean } }>(
    '/v1/memories',
    {
      config: { scope: 'memories:write' },
      bodyLimit,
      schema: {
        querystring: { type: 'object', properties: { wait: { type: 'boolean' } }, additionalProperties: false },
        body: {
          type: 'object',
          required: ['messages'],
          additionalProperties: false,
          properties: {
            messages: {
              type: 'array',
              minItems: 1,
              maxItems: limits.maxMessages,
              items: {
                type: 'object',
                required: ['role', 'content'],
                additionalProperties: false,
                properties: { id: idString, role: { type: 'string', minLength: 1, maxLength: 64 }, content: { type: 'string', minLength: 1 }, name: idString, timestamp: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
              },
            },
            user_id: idString,
            agent_id: idString,
            thread_id: idString,
            source: idString,
            metadata: { type: 'object', additionalProperties: true },
          },
        },
        response: { 202: { type: 'object', properties: { status: { type: 'string' }, job_id: { type: ['string', 'null'] }, message_ids: { type: 'array', items: { type: 'string' } } } }, ...errors },
      },
    },
    async (req, reply) => {
      const user = actingUser(req, req.body.user_id)
      const result = await service.add({ ...req.body, user_id: user })
      if (req.query.wait === true) await service.flush(user)
      return reply.status(202).send(result)
    },
  )

  app.post<{ Body: { query: string; user_id?: string; limit?: number; categories?: (typeof categories)[number][]; agent_id?: string; thread_id?: string; as_of?: string | number; include_profile?: boolean } }>(
    '/v1/memories/search',
    {
      config: { scope: 'memories:read' },
      schema: {
        body: {
          type: 'object',
          required: ['query'],
          additionalProperties: false,
          properties: {
            query: { type: 'string', minLength: 1, maxLength: limits.maxQueryChars },
            user_id: idString,
            limit: { type: 'integer', minimum: 1, maximum: limits.maxLimit },
            categories: categoryList,
            agent_id: idString,
            thread_id: idString,
            as_of: { anyOf: [{ type: 'string' }, { type: 'number' }] },
            include_profile: { type: 'boolean' },
          },
        },
        response: { 200: { type: 'object', properties: { memories: { type: 'array', items: memorySchema }, profile: profileSchema } }, ...errors },
      },
    },
    async (req) => {
      const user = actingUser(req, req.body.user_id)
      if (req.body.include_profile === true && !req.principal!.scopes.includes('profile:read')) throw new VerityError('FORBIDDEN', 'include_profile needs the scope profile:read', { details: { required: 'profile:read' } })
      return service.search({ ...req.body, user_id: user })
    },
  )

  app.get<{ Querystring: { user_id?: string; limit?: number; cursor?: string; categories?: string; agent_id?: string; thread_id?: string } }>(
    '/v1/memories',
    {
      config: { scope: 'memories:read' },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { user_id: idString, limit: { type: 'integer', minimum: 1, maximum: limits.maxLimit }, cursor: { type: 'string', maxLength: 1000 }, categories: { type: 'string', maxLength: 200 }, agent_id: idString, thread_id: idString },
        },
        response: { 200: { type: 'object', properties: { memories: { type: 'array', items: memorySchema }, next_cursor: { type: ['string', 'null'] } } }, ...errors },
      },
    },
    async (req) => {
      const { user_id, categories: cats, ...rest } = req.query
      return service.list({ ...rest, user_id: actingUser(req, user_id), categories: cats === undefined ? undefined : (cats.split(',').filter(Boolean) as (typeof categories)[number][]) })
    },
  )

  app.get<{ Querystring: { user_id?: string } }>(
    '/v1/memories/export',
    { config: { scope: 'memories:read' }, schema: { querystring: { type: 'object', additionalProperties: false, properties: { user_id: idString } } } },
    async (req) => service.export({ user_id: actingUser(req, req.query.user_id) }),
  )

  app.get<{ Querystring: { user_id?: string } }>(
    '/v1/memories/log',
    { config: { scope: 'memories:read' }, schema: { querystring: { type: 'object', additionalProperties: false, properties: { user_id: idString } } } },
    async (req) => {
      const user = actingUser(req, req.query.user_id)
      return { node: service.signerAddress, entries: await service.getLog({ user_id: user }) }
    },
  )

  app.post<{ Body: { ids: string[]; user_id?: string } }>(
    '/v1/memories/delete',
    {
      config: { scope: 'memories:write' },
      schema: {
        body: { type: 'object', required: ['ids'], additionalProperties: false, properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: idString }, user_id: idString } },
        response: { 200: { type: 'object', properties: { deleted: { type: 'array', items: { type: 'string' } } } }, ...errors },
      },
    },
    async (req) => service.deleteMany({ user_id: actingUser(req, req.body.user_id), ids: req.body.ids }),
  )

  const byId = { type: 'object', required: ['id'], properties: { id: idString } } as const
  const userQuery = { type: 'object', additionalProperties: false, properties: { user_id: idString } } as const

  app.get<{ Params: { id: string }; Querystring: { user_id?: string } }>(
    '/v1/memories/:id',
    { config: { scope: 'memories:read' }, schema: { params: byId, querystring: userQuery, response: { 200: memorySchema, ...errors } } },
    async (req) => service.get({ user_id: actingUser(req, req.query.user_id), id: req.params.id }),
  )

  app.get<{ Params: { id: string }; Querystring: { user_id?: string } }>(
    '/v1/memories/:id/trace',
    { config: { scope: 'memories:read' }, schema: { params: byId, querystring: userQuery } },
    async (req) => service.trace({ user_id: actingUser(req, req.query.user_id), id: req.params.id }),
  )

  app.patch<{ Params: { id: string }; Body: { user_id?: string; text?: string; categories?: (typeof categories)[number][]; importance?: number; type?: 'semantic' | 'episodic'; metadata?: Record<string, unknown> } }>(
    '/v1/memories/:id',
    {
      config: { scope: 'memories:write' },
      schema: {
        params: byId,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { user_id: idString, text: { type: 'string', minLength: 1, maxLength: limits.maxContentChars }, categories: categoryList, importance: { type: 'number', minimum: 0, maximum: 1 }, type: { type: 'string', enum: ['semantic', 'episodic'] }, metadata: { type: 'object', additionalProperties: true } },
        },
        response: { 200: memorySchema, ...errors },
      },
    },
    async (req) => {
      const { user_id, ...changes } = req.body
      return service.update({ ...changes, user_id: actingUser(req, user_id), id: req.params.id })
    },
  )

  app.delete<{ Params: { id: string }; Querystring: { user_id?: string } }>(
    '/v1/memories/:id',
    { config: { scope: 'memories:write' }, schema: { params: byId, querystring: userQuery } },
    async (req, reply) => {
      await service.delete({ user_id: actingUser(req, req.query.user_id), id: req.params.id })
      return reply.status(204).send()
    },
  )

  app.get<{ Querystring: { user_id?: string } }>(
    '/v1/profile',
    { config: { scope: 'profile:read' }, schema: { querystring: userQuery, response: { 200: profileSchema, ...errors } } },
    async (req) => service.getProfile({ user_id: actingUser(req, req.query.user_id) }),
  )

  app.delete<{ Params: { user_id: string } }>(
    '/v1/users/:user_id',
    { config: { scope: 'memories:write' }, schema: { params: { type: 'object', required: ['user_id'], properties: { user_id: idString } } } },
    async (req) => {
      const p = req.principal!
      if (!p.admin && p.userId !== req.params.user_id) throw new VerityError('NOT_FOUND', 'user not found', { details: {} })
      return service.eraseUser({ user_id: req.params.user_id })
    },
  )

  app.post<{ Body: { user_id: string; scopes: string[]; rate_limit?: number } }>(
    '/v1/api-keys',
    {
      config: { scope: 'admin' },
      schema: {
        body: {
          type: 'object',
          required: ['user_id', 'scopes'],
          additionalProperties: false,
          properties: { user_id: idString, scopes: { type: 'array', minItems: 1, items: { type: 'string', enum: [...scopes] } }, rate_limit: { type: 'integer', minimum: 1, maximum: 1_000_000 } },
        },
      },
    },
    async (req, reply) => {
      const { key, info } = await auth.createApiKey({ user: req.body.user_id, scopes: req.body.scopes, rateLimit: req.body.rate_limit })
      return reply.status(201).send({ key, ...info })
    },
  )

  app.get<{ Querystring: { user_id: string } }>(
    '/v1/api-keys',
    { config: { scope: 'admin' }, schema: { querystring: { type: 'object', required: ['user_id'], additionalProperties: false, properties: { user_id: idString } } } },
    async (req) => ({ keys: await auth.listApiKeys(req.query.user_id) }),
  )

  app.delete<{ Params: { id: string } }>(
    '/v1/api-keys/:id',
    { config: {}, schema: { params: byId } },
    async (req, reply) => {
      const p = req.principal!
      await auth.revokeApiKey({ id: req.params.id, user: p.admin ? undefined : p.userId })
      return reply.status(204).send()
    },
  )
}
