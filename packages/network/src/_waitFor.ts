/** Test helper: polls `fn` every 250 ms until it returns something truthy (thrown errors count as not yet). */
import assert from 'node:assert/strict'

export async function waitFor<T>(what: string, fn: () => Promise<T | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn().catch(() => null)
    if (v) return v
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
