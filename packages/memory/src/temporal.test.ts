import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dateEnrichment, formatDay, resolveTimeExpressions } from './temporal.ts'
import { Bm25Index, stem, tokenize } from './text.ts'
import { segmentMessages } from './segmenter.ts'

const wed = Date.UTC(2024, 4, 8, 10) // Wednesday 8 May 2024
const day = (w: { from: number }) => formatDay(w.from)

test('relative dates resolve against the message time', () => {
  assert.deepEqual(resolveTimeExpressions('I went there yesterday', wed).map(day), ['7 May 2024'])
  assert.deepEqual(resolveTimeExpressions('last Saturday was fun', wed).map(day), ['4 May 2024'])
  assert.deepEqual(resolveTimeExpressions('see you next Monday', wed).map(day), ['13 May 2024'])
  assert.deepEqual(resolveTimeExpressions('two days ago', wed).map(day), ['6 May 2024'])
  assert.deepEqual(resolveTimeExpressions('on 3 June, 2023 we met', wed).map(day), ['3 June 2023'])
  const month = resolveTimeExpressions('last month', wed)[0]!
  assert.equal(formatDay(month.from), '1 April 2024')
  assert.equal(formatDay(month.to), '30 April 2024')
  assert.deepEqual(resolveTimeExpressions('you may go', wed), [])
  assert.equal(dateEnrichment('I adopted a dog last Saturday', wed), '4 May 2024')
})

test('tokenizer stems and drops stop words; BM25 ranks the matching document first', () => {
  assert.deepEqual(tokenize('The dogs were running to the parties!'), ['dog', 'run', 'party'])
  assert.equal(stem('adopted'), 'adopt')
  const idx = new Bm25Index()
  idx.add(0, tokenize('I adopted a dog called Biscuit'))
  idx.add(1, tokenize('my sister lives in Porto'))
  idx.add(2, tokenize('dog food and dog toys'))
  assert.deepEqual(idx.top(new Map([['porto', 1]]), 5).map(([d]) => d), [1])
  assert.equal(idx.top(new Map([['biscuit', 1], ['dog', 1]]), 5)[0]![0], 0)
  idx.remove(0)
  assert.deepEqual(idx.top(new Map([['biscuit', 1]]), 5), [])
})

test('segmenter windows stay inside a thread and a time gap, and list every covered message', () => {
  const m = (id: string, ts: number, thread = 't') => ({ id, role: 'user', name: null, content: `message ${id}`, ts, thread_id: thread })
  const segs = segmentMessages([m('a', 0)], [m('b', 1000), m('c', 2000, 'other'), m('d', 10 * 3_600_000)], { window: 3, gapMs: 3_600_000, vectors: 'text' })
  assert.deepEqual(segs.map((s) => s.sources), [['a', 'b'], ['c'], ['d']])
  assert.match(segs[0]!.searchText, /1 January 1970/)
})
