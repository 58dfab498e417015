/// <reference path="./vendor.d.ts" />
/**
 * The fast phase-2 preparation gives byte-identical proving keys to snarkjs' full preparePhase2,
 * and a loaded .ptau is checked by hash and verified.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as snarkjs from 'snarkjs'
import { getCurveFromName } from 'ffjavascript'
import { VerityError } from '@verity/protocol'
import { BuildCs, loadPtau, preparePhase2ForPowers, releaseZkResources, writeR1cs } from './index.ts'

const dir = mkdtempSync(join(tmpdir(), 'verity-zk-setup-'))
after(async () => {
  await releaseZkResources()
  rmSync(dir, { recursive: true, force: true })
})

test('preparePhase2ForPowers gives the same zkey as snarkjs preparePhase2, and loadPtau checks the file', async () => {
  const curve = await getCurveFromName('bn128')
  const p0 = join(dir, 'p0.ptau')
  const p1 = join(dir, 'p1.ptau')
  await snarkjs.powersOfTau.newAccumulator(curve, 5, p0)
  await snarkjs.powersOfTau.contribute(p0, p1, 'alice', 'some entropy')
  const full = join(dir, 'full.ptau')
  await (snarkjs.powersOfTau as unknown as { preparePhase2(a: string, b: string): Promise<void> }).preparePhase2(p1, full)
  const fast = join(dir, 'fast.ptau')
  await preparePhase2ForPowers(p1, fast, [3])

  // A circuit with 5 constraints and 1 public signal: domain 2^3.
  const cs = new BuildCs(1)
  let x = cs.wire()
  for (let i = 0; i < 4; i++) {
    const y = cs.wire()
    cs.enforce(x, x, y)
    x = y
  }
  cs.bindPublic(0, x)
  const r1cs = join(dir, 'c.r1cs')
  writeFileSync(r1cs, writeR1cs(cs.finish()))
  await snarkjs.zKey.newZKey(r1cs, full, join(dir, 'full.zkey'))
  await snarkjs.zKey.newZKey(r1cs, fast, join(dir, 'fast.zkey'))
  const sha = (f: string) => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')
  assert.equal(sha('fast.zkey'), sha('full.zkey'))

  const loaded = await loadPtau({ path: p1, dir: join(dir, 'loaded'), powers: [3], expectedSha256: createHash('sha256').update(readFileSync(p1)).digest('hex') })
  assert.equal(createHash('sha256').update(readFileSync(loaded.ptauPath)).digest('hex'), createHash('sha256').update(readFileSync(fast)).digest('hex'))
  await assert.rejects(loadPtau({ path: p1, dir: join(dir, 'bad'), powers: [3], expectedSha256: '00'.repeat(32) }), (e: unknown) => e instanceof VerityError && e.code === 'DIGEST_MISMATCH')
  await assert.rejects(loadPtau({ path: join(dir, 'none.ptau'), dir: join(dir, 'bad'), powers: [3] }), (e: unknown) => e instanceof VerityError && e.code === 'SETUP_MISSING')
})
