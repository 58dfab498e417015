import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VerityError, type TensorMap } from '@verity/protocol'
import { faultFromEnv, withFault } from './faults.ts'

test('fault injection is refused unless the test flag is set, and unknown faults are named', () => {
  assert.equal(faultFromEnv({}), null)
  assert.throws(() => faultFromEnv({ VERITY_FAULT_INJECT: 'flip-output' }), (e: unknown) => e instanceof VerityError && /test-only setting and is refused/.test(e.message))
  assert.deepEqual(faultFromEnv({ VERITY_FAULT_INJECT: 'delay:250', VERITY_ALLOW_FAULT_INJECTION: '1' }), { kind: 'delay', ms: 250 })
  assert.deepEqual(faultFromEnv({ VERITY_FAULT_INJECT: 'individual-settlement-fails', VERITY_ALLOW_FAULT_INJECTION: '1' }), { kind: 'individual-settlement-fails' })
  assert.throws(() => faultFromEnv({ VERITY_FAULT_INJECT: 'explode', VERITY_ALLOW_FAULT_INJECTION: '1' }), /not a known fault/)
})

test('flip-output changes the first float output before it is hashed; no fault leaves outputs alone', async () => {
  const run = async (): Promise<TensorMap> => ({ labels: { dtype: 'int64', shape: [1], data: BigInt64Array.of(3n) }, scores: { dtype: 'float32', shape: [2], data: Float32Array.of(0.25, 0.75) } })
  const flipped = await withFault({ kind: 'flip-output' }, run)()
  assert.deepEqual([...(flipped.scores!.data as Float32Array)], [1.25, 0.75])
  assert.deepEqual([...(flipped.labels!.data as BigInt64Array)], [3n])
  assert.equal(withFault(null, run), run)
})
