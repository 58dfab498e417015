/// <reference path="./vendor.d.ts" />
/**
 * Trusted setup for Groth16, done in the open:
 *
 * - Phase 1 (`runCeremony`): a powers-of-tau accumulator with several contributions and a random
 *   beacon, each added by snarkjs and the whole chain verified (`powersOfTau.verify`); or a standard
 *   .ptau file loaded and verified (`loadPtau`).
 * - Preparing for phase 2 computes the Lagrange-basis points only for the domain sizes actually used
 *   (`preparePhase2ForPowers`). snarkjs' `preparePhase2` computes them for every power below the
 *   ceremony's, which is hours at 2^17; the blocks `newZKey` reads are byte-identical either way.
 * - Phase 2 (`setupCircuit`): per circuit, snarkjs newZKey, contributions, a beacon, then
 *   `zKey.verifyFromR1cs` re-derives the key from the R1CS and the ceremony.
 *
 * A node must never be the only contributor to the keys it proves with (it could forge proofs):
 * the transcript names every contributor and `checkSetupPolicy` lets a verifier demand its own.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import * as snarkjs from 'snarkjs'
import * as binFileUtils from '@iden3/binfileutils'
import { BigBuffer, getCurveFromName } from 'ffjavascript'
import { VerityError } from '@verity/protocol'

export type Contributor = { name: string; entropy?: string | undefined }
export type Beacon = { hash: string; iterationsExp: number }
export type SetupProgress = { step: string; message: string; ms?: number }

export type CeremonyTranscript = {
  power: number
  contributions: Array<{ name: string; hash: string }>
  beacon: Beacon & { hash: string; responseHash: string }
  /** sha256 of the verified phase-1 file (before Lagrange preparation). */
  ptauSha256: string
  preparedPowers: number[]
  preparedSha256: string
  verified: true
}

export type RunCeremonyParameters = {
  power: number
  contributors: readonly Contributor[]
  beacon: Beacon
  /** Where the ceremony's files go; `final.ptau` is the prepared file. */
  dir: string
  /** Domain sizes to prepare for phase 2 (default: every power from 8 to `power`). */
  preparePowers?: readonly number[] | undefined
  onProgress?: ((p: SetupProgress) => void) | undefined
}

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const entropyOf = (c: Contributor) => c.entropy ?? randomBytes(32).toString('hex')

function assertBeacon(beacon: Beacon): void {
  if (!/^[0-9a-fA-F]{64}$/.test(beacon.hash)) throw new VerityError('INVALID_INPUT', `Beacon hash must be 32 bytes of hex (64 characters), got ${JSON.stringify(beacon.hash)}.`, { details: { beacon: beacon.hash } })
  if (!Number.isInteger(beacon.iterationsExp) || beacon.iterationsExp < 10 || beacon.iterationsExp > 63) throw new VerityError('INVALID_INPUT', `Beacon iterationsExp must be an integer in [10, 63] (2^n hash iterations), got ${beacon.iterationsExp}.`, { details: {} })
}

/** Runs a local multi-party phase-1 ceremony and prepares it for phase 2. */
export async function runCeremony(p: RunCeremonyParameters): Promise<{ ptauPath: string; transcript: CeremonyTranscript }> {
  if (!Number.isInteger(p.power) || p.power < 1 || p.power > 28) throw new VerityError('INVALID_INPUT', `Ceremony power must be an integer in [1, 28], got ${p.power}.`, { details: { power: p.power } })
  if (p.contributors.length < 1) throw new VerityError('INVALID_INPUT', 'A ceremony needs at least one contributor besides the beacon.', { details: {} })
  assertBeacon(p.beacon)
  const progress = p.onProgress ?? (() => {})
  mkdirSync(p.dir, { recursive: true })
  const work = mkdtempSync(join(p.dir, '.ceremony-'))
  try {
    const curve = await getCurveFromName('bn128')
    let t = performance.now()
    const step = (name: string, message: string) => {
      progress({ step: name, message, ms: performance.now() - t })
      t = performance.now()
    }
    let current = join(work, 'pot_0000.ptau')
    await snarkjs.powersOfTau.newAccumulator(curve, p.power, current)
    step('new', `new accumulator at power ${p.power}`)
    const contributions: CeremonyTranscript['contributions'] = []
    for (const [i, c] of p.contributors.entries()) {
      const next = join(work, `pot_${String(i + 1).padStart(4, '0')}.ptau`)
      const hash = await snarkjs.powersOfTau.contribute(current, next, c.name, entropyOf(c))
      contributions.push({ name: c.name, hash: hex(hash) })
      current = next
      step('contribute', `contribution ${i + 1} by ${c.name}`)
    }
    const beaconed = join(work, 'pot_beacon.ptau')
    const responseHash = await snarkjs.powersOfTau.beacon(current, beaconed, 'beacon', p.beacon.hash, p.beacon.iterationsExp)
    if (!responseHash) throw new VerityError('INTERNAL', 'snarkjs refused the beacon.', { details: {} })
    step('beacon', 'random beacon applied')
    if (!(await snarkjs.powersOfTau.verify(beaconed))) throw new VerityError('VERIFICATION_FAILED', 'The phase-1 ceremony does not verify.', { details: { power: p.power } })
    step('verify', 'every contribution and the beacon verified')
    const ptauSha256 = sha256File(beaconed)
    const powers = [...(p.preparePowers ?? Array.from({ length: Math.max(0, p.power - 7) }, (_, i) => i + 8))].filter((x) => x <= p.power)
    const prepared = join(work, 'final.ptau')
    await preparePhase2ForPowers(beaconed, prepared, powers)
    step('prepare', `Lagrange points for powers ${powers.join(', ')}`)
    const transcript: CeremonyTranscript = {
      power: p.power, contributions, beacon: { ...p.beacon, responseHash: hex(responseHash) }, ptauSha256,
      preparedPowers: powers, preparedSha256: sha256File(prepared), verified: true,
    }
    writeFileSync(join(work, 'transcript.json'), JSON.stringify(transcript, null, 2))
    // Publish atomically: the verified phase-1 file, the prepared file and the transcript.
    for (const f of ['final.ptau', 'transcript.json']) renameSync(join(work, f), join(p.dir, f))
    renameSync(beaconed, join(p.dir, 'phase1.ptau'))
    return { ptauPath: join(p.dir, 'final.ptau'), transcript }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/**
 * Loads a standard .ptau (e.g. from the Hermez/perpetual powers-of-tau ceremony), verifies it, and
 * prepares the requested powers. Verification at large powers is slow; pass `verify: false` only
 * for a file whose sha256 you already checked against the published one.
 */
export async function loadPtau(p: { path: string; dir: string; powers: readonly number[]; verify?: boolean; expectedSha256?: string }): Promise<{ ptauPath: string; sha256: string }> {
  if (!existsSync(p.path)) throw new VerityError('SETUP_MISSING', `No powers-of-tau file at ${p.path}.`, { details: { path: p.path } })
  const sha = sha256File(p.path)
  if (p.expectedSha256 && p.expectedSha256.toLowerCase() !== sha) throw new VerityError('DIGEST_MISMATCH', `Powers-of-tau file ${p.path} has sha256 ${sha}, expected ${p.expectedSha256}.`, { details: { path: p.path } })
  if (p.verify !== false && !(await snarkjs.powersOfTau.verify(p.path))) throw new VerityError('VERIFICATION_FAILED', `Powers-of-tau file ${p.path} does not verify.`, { details: { path: p.path } })
  mkdirSync(p.dir, { recursive: true })
  const tmp = join(p.dir, `.final-${process.pid}.ptau`)
  await preparePhase2ForPowers(p.path, tmp, p.powers)
  renameSync(tmp, join(p.dir, 'final.ptau'))
  return { ptauPath: join(p.dir, 'final.ptau'), sha256: sha }
}

async function readPtauPower(path: string): Promise<number> {
  const { fd, sections } = await binFileUtils.readBinFile(path, 'ptau', 1)
  try {
    await binFileUtils.startReadUniqueSection(fd, sections, 1)
    const n8 = await fd.readULE32()
    await binFileUtils.readBigInt(fd, n8)
    const power = await fd.readULE32()
    await binFileUtils.endReadSection(fd, true)
    return power
  } finally {
    await fd.close()
  }
}

/**
 * snarkjs' preparePhase2, computing the Lagrange blocks only for `powers` (and power+1 of tauG1,
 * which newZKey reads for H); other blocks are left zero. Same file layout, so newZKey reads it.
 */
export async function preparePhase2ForPowers(oldPath: string, newPath: string, powers: readonly number[]): Promise<void> {
  const curve = await getCurveFromName('bn128')
  const power = await readPtauPower(oldPath)
  for (const q of powers) if (q > power) throw new VerityError('CIRCUIT_TOO_LARGE', `Cannot prepare power ${q} from a ceremony of power ${power}.`, { details: { power, needed: q } })
  const wanted = new Set(powers)
  const { fd: fdOld, sections } = await binFileUtils.readBinFile(oldPath, 'ptau', 1)
  const fdNew = await binFileUtils.createBinFile(newPath, 'ptau', 1, 11)
  try {
    for (let s = 1; s <= 7; s++) await binFileUtils.copySection(fdOld, sections, fdNew, s)
    for (const [oldId, newId, g] of [[2, 12, 'G1'], [3, 13, 'G2'], [4, 14, 'G1'], [5, 15, 'G1']] as const) {
      await binFileUtils.startWriteSection(fdNew, newId)
      const G = curve[g]
      const sG = G.F.n8 * 2
      const last = oldId === 2 ? power + 1 : power
      for (let q = 0; q <= last; q++) {
        const n = 2 ** q
        const needed = wanted.has(q) || (oldId === 2 && wanted.has(q - 1))
        if (!needed) {
          const zero = new Uint8Array(Math.min(n * sG, 1 << 22))
          for (let written = 0; written < n * sG; written += zero.length) await fdNew.write(zero.subarray(0, Math.min(zero.length, n * sG - written)))
          continue
        }
        let buff = new BigBuffer(n * sG)
        await binFileUtils.startReadUniqueSection(fdOld, sections, oldId)
        if (oldId === 2 && q === power + 1) {
          await fdOld.readToBuffer(buff, 0, (n - 1) * sG)
          buff.set(curve.G1.zeroAffine, (n - 1) * sG)
        } else {
          await fdOld.readToBuffer(buff, 0, n * sG)
        }
        await binFileUtils.endReadSection(fdOld, true)
        buff = await G.lagrangeEvaluations(buff, 'affine', 'affine')
        await fdNew.write(buff)
      }
      await binFileUtils.endWriteSection(fdNew)
    }
  } finally {
    await fdOld.close()
    await fdNew.close()
  }
}

export type Phase2Transcript = {
  circuitSha256: string
  ptauSha256: string
  contributions: Array<{ name: string; hash: string }>
  beacon: Beacon & { contributionHash: string }
  zkeySha256: string
  verified: true
}

/**
 * Phase 2 for one circuit: newZKey, contributions, a beacon, then a full re-derivation check
 * (`zKey.verifyFromR1cs`). Returns the final proving key path and the verification key.
 */
export async function setupCircuit(p: { r1csPath: string; ptauPath: string; dir: string; contributors: readonly Contributor[]; beacon: Beacon; power: number; onProgress?: ((p: SetupProgress) => void) | undefined }): Promise<{ zkeyPath: string; vk: unknown; transcript: Phase2Transcript }> {
  if (!existsSync(p.ptauPath)) throw new VerityError('SETUP_MISSING', `No prepared powers-of-tau file at ${p.ptauPath}: run the ceremony first.`, { details: { ptau: p.ptauPath } })
  if (p.contributors.length < 1) throw new VerityError('INVALID_INPUT', 'Phase 2 needs at least one contributor besides the beacon.', { details: {} })
  assertBeacon(p.beacon)
  const ceremonyPower = await readPtauPower(p.ptauPath)
  if (ceremonyPower < p.power) {
    throw new VerityError('CIRCUIT_TOO_LARGE', `The circuit needs powers of tau 2^${p.power}, but the ceremony at ${p.ptauPath} only has 2^${ceremonyPower}.${p.power > 20 ? ' Beyond about 2^20 constraints use QUORUM or TEE mode.' : ` Run a ceremony at power ${p.power}.`}`, { details: { needed: p.power, available: ceremonyPower } })
  }
  const progress = p.onProgress ?? (() => {})
  mkdirSync(p.dir, { recursive: true })
  const work = mkdtempSync(join(p.dir, '.phase2-'))
  try {
    let t = performance.now()
    const step = (name: string, message: string) => {
      progress({ step: name, message, ms: performance.now() - t })
      t = performance.now()
    }
    let current = join(work, 'c_0000.zkey')
    await snarkjs.zKey.newZKey(p.r1csPath, p.ptauPath, current)
    step('newZKey', 'initial proving key from the circuit and the ceremony')
    const contributions: Phase2Transcript['contributions'] = []
    for (const [i, c] of p.contributors.entries()) {
      const next = join(work, `c_${String(i + 1).padStart(4, '0')}.zkey`)
      const hash = await snarkjs.zKey.contribute(current, next, c.name, entropyOf(c))
      contributions.push({ name: c.name, hash: hex(hash) })
      current = next
      step('contribute', `phase-2 contribution ${i + 1} by ${c.name}`)
    }
    const final = join(work, 'final.zkey')
    const contributionHash = await snarkjs.zKey.beacon(current, final, 'beacon', p.beacon.hash, p.beacon.iterationsExp)
    if (!contributionHash) throw new VerityError('INTERNAL', 'snarkjs refused the phase-2 beacon.', { details: {} })
    step('beacon', 'phase-2 beacon applied')
    if (!(await snarkjs.zKey.verifyFromR1cs(p.r1csPath, p.ptauPath, final))) throw new VerityError('VERIFICATION_FAILED', 'The proving key does not re-derive from the circuit and the ceremony.', { details: {} })
    step('verify', 'proving key re-derived from the R1CS and the ceremony')
    const vk = await snarkjs.zKey.exportVerificationKey(final)
    const transcript: Phase2Transcript = {
      circuitSha256: sha256File(p.r1csPath), ptauSha256: sha256File(p.ptauPath), contributions,
      beacon: { ...p.beacon, contributionHash: hex(contributionHash) }, zkeySha256: sha256File(final), verified: true,
    }
    const zkeyPath = join(p.dir, 'circuit.zkey')
    mkdirSync(dirname(zkeyPath), { recursive: true })
    renameSync(final, zkeyPath)
    return { zkeyPath, vk, transcript }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Stops ffjavascript's worker threads (call once when done, e.g. in a test's `after`). */
export async function releaseZkResources(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } }
  if (g.curve_bn128) await g.curve_bn128.terminate()
}
