import { test } from 'node:test'
import assert from 'node:assert/strict'
import { takeSseEvents } from './sse.ts'

test('server-sent events: complete events are taken, multi-line data joined, comments and empty events skipped, the rest kept', () => {
  const { data, rest } = takeSseEvents('data: {"a":1}\n\n: keep-alive\n\ndata: line 1\r\ndata:line 2\r\n\r\nevent: x\n\ndata: [DONE]\n\ndata: {"parti')
  assert.deepEqual(data, ['{"a":1}', 'line 1\nline 2', '[DONE]'])
  assert.equal(rest, 'data: {"parti')
  const next = takeSseEvents(`${rest}al":true}\n\n`)
  assert.deepEqual(next, { data: ['{"partial":true}'], rest: '' })
  assert.deepEqual(takeSseEvents(''), { data: [], rest: '' })
})
