import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readInWindows } from './logWindows.ts'

const windows = async (from: bigint, to: bigint, span: number) => {
  const seen: Array<[bigint, bigint]> = []
  const out = await readInWindows(from, to, span, async (w) => { seen.push([w.fromBlock, w.toBlock]); return [w.fromBlock] })
  return { seen, out }
}

test('block windows cover the range exactly once, in order, each at most span blocks wide', async () => {
  assert.deepEqual((await windows(0n, 25n, 10)).seen, [[0n, 9n], [10n, 20n - 1n], [20n, 25n]])
  assert.deepEqual((await windows(5n, 5n, 10)).seen, [[5n, 5n]])
  assert.deepEqual((await windows(7n, 9n, 1)).seen, [[7n, 7n], [8n, 8n], [9n, 9n]])
  assert.deepEqual((await windows(100n, 119n, 10)).out, [100n, 110n], 'results concatenated oldest first')
  assert.deepEqual((await windows(10n, 9n, 10)).seen, [], 'an empty range reads nothing')
})

test('a window that is not a positive integer is refused', async () => {
  for (const span of [0, -1, 1.5, Number.NaN]) await assert.rejects(readInWindows(0n, 10n, span, async () => []), /positive integer/)
})
