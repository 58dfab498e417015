/** @verity/memory-api — the MemSync-style REST API of @verity/memory as a Fastify 5 plugin. */
export { memoryRoutes, type MemoryRoutesOptions } from './memoryRoutes.ts'
