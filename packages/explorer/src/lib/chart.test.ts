import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bars, linePath, niceMax, seriesFromStats } from './chart.ts'
import { matchRoute, hrefs } from './router.ts'
import { formatAge, formatBytes, shortHex } from './format.ts'

test('seriesFromStats fills every minute of the window and merges modes', () => {
  const s = seriesFromStats({
    from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:04:00.000Z', bucketSeconds: 60,
    buckets: [
      { minute: '2026-01-01T00:01:00.000Z', mode: 'VANILLA', count: 3, latencyAvgMs: 10, latencyMaxMs: 20 },
      { minute: '2026-01-01T00:01:00.000Z', mode: 'TEE', count: 1, latencyAvgMs: 30, latencyMaxMs: 30 },
      { minute: '2026-01-01T00:03:00.000Z', mode: 'VANILLA', count: 2, latencyAvgMs: null, latencyMaxMs: null },
    ],
    totals: { receipts: 6, byMode: { VANILLA: 5, TEE: 1 }, latencyAvgMs: 15 },
  })
  assert.equal(s.minutes.length, 4)
  assert.deepEqual(s.counts, [0, 4, 0, 2])
  assert.deepEqual(s.latencyAvgMs, [null, 15, null, null])
  assert.deepEqual(s.byMode, [{ mode: 'VANILLA', count: 5 }, { mode: 'TEE', count: 1 }])
})

test('chart geometry: nice axis maxima, lines that lift the pen on gaps, bars inside the box', () => {
  assert.deepEqual([0, 0.3, 1, 3, 7, 12, 99, 101].map(niceMax), [1, 0.5, 1, 5, 10, 20, 100, 200])
  assert.equal(linePath([], 100, 50), '')
  assert.equal(linePath([0, 10, null, 5], 30, 10, 10), 'M0.0 10.0L10.0 0.0M30.0 5.0')
  const b = bars([1, 2], 100, 10, 2)
  assert.deepEqual(b.map((x) => [x.x, x.y, x.w, x.h]), [[5, 5, 40, 5], [55, 0, 40, 10]])
})

test('routes round-trip through their hrefs', () => {
  assert.deepEqual(matchRoute('/'), { page: 'network' })
  assert.equal(hrefs.models('ocr text'), '/models?q=ocr%20text')
  assert.deepEqual(matchRoute('/models', '?q=ocr%20text'), { page: 'models', q: 'ocr text' })
  assert.deepEqual(matchRoute(hrefs.model('verity', 'tiny-mlp')), { page: 'model', owner: 'verity', name: 'tiny-mlp' })
  assert.deepEqual(matchRoute(`/receipts/0x${'ab'.repeat(32)}/`), { page: 'receipt', id: `0x${'ab'.repeat(32)}` })
  assert.deepEqual(matchRoute('/verify'), { page: 'verify' })
  assert.deepEqual(matchRoute('/stats'), { page: 'stats' })
  assert.deepEqual(matchRoute('/memory'), { page: 'memory' })
  assert.deepEqual(matchRoute('/models/a'), { page: 'not-found', path: '/models/a' })
})

test('formatting', () => {
  assert.equal(shortHex(`0x${'ab'.repeat(32)}`), '0xabababab…ababab')
  assert.equal(shortHex('0x1234'), '0x1234')
  assert.equal(formatAge(42), '42 s')
  assert.equal(formatAge(7200), '2.0 h')
  assert.equal(formatBytes(1536), '1.5 kB')
})
