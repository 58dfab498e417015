import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { ONNXRUNTIME_VERSION, SESSION_OPTIONS } from './determinism.ts'

test('the installed onnxruntime-node is the version the determinism settings were chosen for', () => {
  // A new onnxruntime can change kernels and so output bits: bump ONNXRUNTIME_VERSION deliberately, after re-running the tests.
  const manifest = createRequire(import.meta.url).resolve('onnxruntime-node/package.json')
  assert.equal(JSON.parse(readFileSync(manifest, 'utf8')).version, ONNXRUNTIME_VERSION)
})

test('sessions are single-threaded, sequential, at a fixed optimization level, without arena', () => {
  assert.equal(SESSION_OPTIONS.intraOpNumThreads, 1)
  assert.equal(SESSION_OPTIONS.interOpNumThreads, 1)
  assert.equal(SESSION_OPTIONS.executionMode, 'sequential')
  assert.equal(SESSION_OPTIONS.graphOptimizationLevel, 'all')
  assert.equal(SESSION_OPTIONS.enableCpuMemArena, false)
  assert.ok(Object.isFrozen(SESSION_OPTIONS))
})
