/**
 * Runs (or re-uses) the benchmark's phase-1 ceremony: `node packages/zk/bench/zk-ceremony.ts POWER [PREPARE_POWERS...]`.
 * Two named contributors and a beacon, verified, prepared for the given domain sizes, cached under
 * .verity/zk/ceremony-POWER (VERITY_ZK_DATA to move it).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { releaseZkResources, runCeremony, type CeremonyTranscript } from '../src/index.ts'

export const zkDataDir = process.env.VERITY_ZK_DATA ?? resolve(import.meta.dirname, '..', '..', '..', '.verity', 'zk')
export const benchBeacon = { hash: 'b9a0c4e1f2d3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3', iterationsExp: 10 }

export async function benchCeremony(power: number, preparePowers: number[], progress: (m: string) => void): Promise<{ ptauPath: string; transcript: CeremonyTranscript; ms: number }> {
  const dir = join(zkDataDir, `ceremony-${power}`)
  if (existsSync(join(dir, 'final.ptau')) && existsSync(join(dir, 'transcript.json'))) {
    const transcript = JSON.parse(readFileSync(join(dir, 'transcript.json'), 'utf8')) as CeremonyTranscript
    if (preparePowers.every((p) => transcript.preparedPowers.includes(p))) return { ptauPath: join(dir, 'final.ptau'), transcript, ms: Number.NaN }
  }
  const t0 = performance.now()
  const r = await runCeremony({
    power, contributors: [{ name: 'verity-foundation' }, { name: 'independent-auditor' }], beacon: benchBeacon, dir, preparePowers,
    onProgress: (p) => progress(`ceremony 2^${power}: ${p.message} (${((p.ms ?? 0) / 1000).toFixed(1)} s)`),
  })
  return { ...r, ms: performance.now() - t0 }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const power = Number(process.argv[2] ?? 16)
  const prepare = process.argv.slice(3).map(Number)
  const r = await benchCeremony(power, prepare.length > 0 ? prepare : [power], (m) => console.error(m))
  console.log(`ceremony 2^${power} ready at ${r.ptauPath} (${Number.isNaN(r.ms) ? 'cached' : `${(r.ms / 1000).toFixed(0)} s`})`)
  await releaseZkResources()
}
