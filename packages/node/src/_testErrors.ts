/** Test helper: asserts that `promise` rejects with a NodeRequestError of this code, status and message. */
import assert from 'node:assert/strict'
import { NodeRequestError } from '@verity/sdk'

export async function expectNodeError(promise: Promise<unknown>, code: string, status: number, pattern: RegExp): Promise<NodeRequestError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof NodeRequestError, `expected NodeRequestError, got ${error}`)
    assert.equal(error.code, code, error.message)
    assert.equal(error.status, status)
    assert.match(error.message, pattern)
    return error
  }
  assert.fail(`expected ${code}`)
}
