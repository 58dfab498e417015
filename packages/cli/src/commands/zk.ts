/**
 * `verity zk compile | ceremony | export-verifier`. The setup is made here, by the model owner, never
 * by a proving node: phase 1 (cached per power) and phase 2 have the contributors named with
 * `--contributor` (default: the local user) plus a public random beacon. The artifacts are stored as
 * files of the model's draft release (`zk/*`, `zk/vk.json` last, so a half-uploaded setup is never
 * used), which is how a model CID maps to one verification key; the model card shows its hash.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { homedir, tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { formatRelease, isCid, parseModelRef, parseRelease, tensorFromJson, VerityError, type ModelCardJson } from '@verity/protocol'
import { createClient, NodeRequestError, type VerityClient, type ZkSetupJson } from '@verity/sdk'
import { compileModel, createArtifacts, parseGraph, releaseZkResources, runCeremony, type CeremonyTranscript, type CompileProgress, type SetupProgress, type ZkArtifacts } from '@verity/zk'
import { readJsonFile, writeFileAtomic } from '../files.ts'
import { ExitError } from '../errors.ts'
import { color, info, out, table } from '../output.ts'

export type CompileOptions = { node: string; calibration?: string; power?: number; contributor?: string[]; beacon?: string; ceremonyDir?: string; outputs?: 'public' | 'hashed'; json?: boolean }
export type CeremonyOptions = { power: number; contributor?: string[]; beacon?: string; ceremonyDir?: string; json?: boolean }
export type ExportVerifierOptions = { node: string; output?: string }

/** Order matters: zk/vk.json goes last and marks the setup complete. */
const releaseFiles: Array<[string, string]> = [
  ['zk/manifest.json', 'manifest.json'], ['zk/plan.json', 'plan.json'], ['zk/circuit.r1cs', 'circuit.r1cs'],
  ['zk/circuit.zkey', 'circuit.zkey'], ['zk/Verifier.sol', 'Verifier.sol'], ['zk/ceremony.json', 'ceremony.json'],
]

const ceremonyRoot = (o: { ceremonyDir?: string }) => o.ceremonyDir ?? process.env.VERITY_ZK_DATA ?? join(homedir(), '.verity', 'zk')
const contributorsOf = (o: { contributor?: string[] }) => (o.contributor && o.contributor.length > 0 ? o.contributor : [userInfo().username || 'model-owner']).map((name) => ({ name }))

function beaconOf(o: { beacon?: string }) {
  const hash = o.beacon ?? randomBytes(32).toString('hex')
  if (!/^[0-9a-fA-F]{64}$/.test(hash)) throw new ExitError(2, `--beacon must be 32 bytes of hex (64 characters), e.g. a public randomness beacon value; got ${JSON.stringify(hash)}.`)
  return { hash, iterationsExp: 10 }
}

const stepLine = (phase: string) => (p: SetupProgress) => info(color.dim(`  ${phase}: ${p.message}${p.ms !== undefined ? ` (${(p.ms / 1000).toFixed(1)} s)` : ''}`))

/** A phase-1 ceremony at `power` or above from the cache, else a new one (needs the circuit's power prepared). */
async function phase1(o: { ceremonyDir?: string; contributor?: string[]; beacon?: string }, power: number): Promise<{ ptauPath: string; transcript: CeremonyTranscript }> {
  const root = ceremonyRoot(o)
  if (existsSync(root)) {
    const cached = readdirSync(root).filter((d) => /^ceremony-\d+$/.test(d)).map((d) => join(root, d))
      .map((dir) => ({ dir, transcript: existsSync(join(dir, 'transcript.json')) ? JSON.parse(readFileSync(join(dir, 'transcript.json'), 'utf8')) as CeremonyTranscript : null }))
      .filter((c) => c.transcript && existsSync(join(c.dir, 'final.ptau')) && c.transcript.power >= power && c.transcript.preparedPowers.includes(Math.max(8, power)))
      .sort((a, b) => a.transcript!.power - b.transcript!.power)
    if (cached[0]) {
      info(`Phase 1: using the ceremony at ${cached[0].dir} (power ${cached[0].transcript!.power}, contributors ${cached[0].transcript!.contributions.map((c) => c.name).join(', ')}).`)
      return { ptauPath: join(cached[0].dir, 'final.ptau'), transcript: cached[0].transcript! }
    }
  }
  const contributors = contributorsOf(o)
  info(`Phase 1: running a powers-of-tau ceremony at power ${power} (contributors ${contributors.map((c) => c.name).join(', ')} + beacon)…`)
  return runCeremony({ power, contributors, beacon: beaconOf(o), dir: join(root, `ceremony-${power}`), onProgress: stepLine('phase 1') })
}

/** `verity zk ceremony --power N`: a phase-1 ceremony cached for later compiles. */
export async function ceremony(o: CeremonyOptions): Promise<void> {
  if (!Number.isInteger(o.power) || o.power < 8 || o.power > 24) throw new ExitError(2, `--power must be an integer in [8, 24], got ${o.power}.`)
  const contributors = contributorsOf(o)
  const dir = join(ceremonyRoot(o), `ceremony-${o.power}`)
  info(`Running a powers-of-tau ceremony at power ${o.power} in ${dir} (contributors ${contributors.map((c) => c.name).join(', ')} + beacon)…`)
  try {
    const { ptauPath, transcript } = await runCeremony({ power: o.power, contributors, beacon: beaconOf(o), dir, onProgress: stepLine('phase 1') })
    if (o.json) out(JSON.stringify({ ptauPath, transcript }, null, 2))
    else out(`Ceremony ready: ${ptauPath}\n  contributions: ${transcript.contributions.map((c) => `${c.name} (${c.hash.slice(0, 16)}…)`).join(', ')}\n  beacon ${transcript.beacon.hash}`)
  } finally {
    await releaseZkResources()
  }
}

type Target = { repo: string; release: string; cid: string; published: boolean }

async function resolveTarget(client: VerityClient, ref: string): Promise<Target | { cid: string }> {
  const parsed = parseModelRef(ref)
  if (parsed.kind === 'cid') return { cid: parsed.cid }
  const repo = `${parsed.owner}/${parsed.name}`
  const card: ModelCardJson = await client.modelCard(repo)
  const rel = parsed.release === null ? card.releases[0] : card.releases.find((r) => r.release === formatRelease(parseRelease(parsed.release!)))
  if (!rel) throw new ExitError(1, `No release ${ref}: create one with \`verity model release ${repo} 1.00\`.`)
  const models = rel.files.filter((f) => f.path.endsWith('.onnx'))
  const file = models.find((f) => f.path === 'model.onnx') ?? models[0]
  if (!file) throw new ExitError(1, `Release ${repo}@${rel.release} has no .onnx file to compile.`)
  return { repo, release: rel.release, cid: file.cid, published: rel.published }
}

async function existingSetup(client: VerityClient, cid: string): Promise<ZkSetupJson | null> {
  try {
    return await client.zkSetup(cid)
  } catch (error) {
    if (error instanceof NodeRequestError && error.code === 'SETUP_MISSING') return null
    throw error
  }
}

/** Flat calibration samples from a JSON file: arrays (nested or flat) or `{name: tensor}` maps. */
function readCalibration(file: string): number[][] {
  const json = readJsonFile(file)
  if (!Array.isArray(json) || json.length === 0) throw new ExitError(1, `${file} must hold a JSON array of calibration inputs (flat or nested number arrays, or {"input": {dtype, shape, data}} objects).`)
  return json.map((sample, i) => {
    if (Array.isArray(sample)) {
      const flat = (sample as unknown[]).flat(Infinity)
      if (!flat.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new ExitError(1, `${file}: sample ${i} has a value that is not a finite number.`)
      return flat as number[]
    }
    if (sample && typeof sample === 'object') {
      const tensors = Object.entries(sample as Record<string, unknown>)
      if (tensors.length !== 1) throw new ExitError(1, `${file}: sample ${i} must have exactly one input tensor (ZKML models take one input).`)
      return Array.from(tensorFromJson(tensors[0]![1], `${file}[${i}].${tensors[0]![0]}`).data as ArrayLike<number>, Number)
    }
    throw new ExitError(1, `${file}: sample ${i} is neither an array nor a tensor map.`)
  })
}

/** Seeded uniform samples in [-1, 1] when no calibration file is given (scales then fit that range). */
function defaultCalibration(n: number): number[][] {
  let s = 0x2545f491
  const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32)
  return Array.from({ length: 32 }, () => Array.from({ length: n }, () => rand() * 2 - 1))
}

/** `verity zk compile REF`: compile, run the setup, store it with the release. */
export async function compile(ref: string, o: CompileOptions): Promise<void> {
  const client = createClient({ url: o.node, timeoutMs: 600_000 })
  const target = await resolveTarget(client, ref)
  const existing = await existingSetup(client, target.cid)
  if (!('repo' in target)) {
    if (existing) return report(existing, o)
    throw new ExitError(1, `Model ${target.cid} has no ZKML setup yet. Name the draft release to store it in: verity zk compile owner/name@MAJOR.MINOR.`)
  }
  if (existing && existing.repo === target.repo && existing.release === target.release) {
    info(`${target.repo}@${target.release} already has a ZKML setup.`)
    return report(existing, o)
  }
  if (target.published) {
    throw new ExitError(1, `${target.repo}@${target.release} is published, so it can no longer take files. Create a draft release holding the same model (verity model push … --release NEXT) and compile that.`)
  }
  if (existing) {
    // One model CID, one verification key: attach the setup that exists instead of making a second.
    info(`Model ${target.cid} already has a ZKML setup in ${existing.repo}@${existing.release}; attaching the same files to ${target.repo}@${target.release}.`)
    for (const [path] of [...releaseFiles, ['zk/vk.json', 'vk.json'] as [string, string]]) {
      const blob = existing.files[path]
      if (blob) await client.pushFile({ repo: target.repo, release: target.release, path, bytes: await client.pull(blob) })
    }
    return report(await client.zkSetup(target.cid), o)
  }

  const work = mkdtempSync(join(tmpdir(), 'verity-zk-compile-'))
  try {
    info(`Downloading ${target.cid}…`)
    const onnx = await client.pull(target.cid)
    const calibration = o.calibration ? readCalibration(o.calibration) : null
    let circuit
    try {
      const inputSize = calibration?.[0]?.length ?? parseGraph(onnx).input.shape.reduce((a, b) => a * b, 1)
      if (!calibration) info(color.yellow(`No --calibration file: calibrating on 32 random inputs in [-1, 1]; pass real samples for accurate scales.`))
      let lastStage = ''
      circuit = await compileModel(onnx, {
        calibration: calibration ?? defaultCalibration(inputSize),
        outputs: o.outputs,
        onProgress: (p: CompileProgress) => {
          if (p.stage !== lastStage || p.done === p.total) info(color.dim(`  compile ${p.stage} ${p.done}/${p.total}: ${p.message}`))
          lastStage = p.stage
        },
      })
    } catch (error) {
      if (error instanceof VerityError) throw new ExitError(1, `${color.red('error')} ${error.code}: ${error.message}${error.hint ? `\nHint: ${error.hint}` : ''}`)
      throw error
    }
    out(color.bold(`Circuit for ${target.repo}@${target.release} (${circuit.cid})`))
    out(table([['layer', 'op', 'scale', 'bits'], ...circuit.layers.map((l) => [l.node, l.op, l.scale.toPrecision(4), String(l.bits)])]))
    const a = circuit.agreement
    out(`  ${circuit.constraints} constraints, ${circuit.publicSignals} public signals, power 2^${circuit.power}`)
    out(`  agreement with ${a.reference} float output on ${a.samples} samples: argmax ${(a.argmaxAgreement * 100).toFixed(1)}%, max abs error ${a.maxAbsError.toPrecision(3)}`)

    const power = Math.max(circuit.power, o.power ?? 0, 8)
    const { ptauPath, transcript } = await phase1(o, power)
    const contributors = contributorsOf(o)
    info(`Phase 2: per-model setup (contributors ${contributors.map((c) => c.name).join(', ')} + beacon)…`)
    const artifacts: ZkArtifacts = await createArtifacts({ circuit, ptauPath, ceremony: transcript, contributors, beacon: beaconOf(o), dir: join(work, 'artifacts'), onProgress: stepLine('phase 2') })
    writeFileAtomic(join(artifacts.dir, 'ceremony.json'), JSON.stringify({ phase1: transcript, phase2: artifacts.manifest.phase2 }, null, 2))
    writeFileAtomic(join(artifacts.dir, 'vk.json'), JSON.stringify(artifacts.manifest.verifierKey))
    info(`Storing the setup in ${target.repo}@${target.release}…`)
    for (const [path, file] of [...releaseFiles, ['zk/vk.json', 'vk.json'] as [string, string]]) {
      await client.pushFile({ repo: target.repo, release: target.release, path, bytes: new Uint8Array(readFileSync(join(artifacts.dir, file))) })
      info(color.dim(`  uploaded ${path}`))
    }
    return report(await client.zkSetup(target.cid), o)
  } finally {
    rmSync(work, { recursive: true, force: true })
    await releaseZkResources()
  }
}

function report(setup: ZkSetupJson, o: { json?: boolean }): void {
  if (o.json) return out(JSON.stringify(setup, null, 2))
  out(`${color.green('✔')} ZKML ready for ${setup.cid}`)
  out(`  stored with ${setup.repo}@${setup.release}; verification key hash ${setup.vkHash}`)
  out(`  prove with: verity infer --mode zkml --model ${setup.repo}@${setup.release} --input INPUT.json`)
}

/** `verity zk export-verifier REF -o Verifier.sol`: the Solidity verifier of the model's key. */
export async function exportVerifier(ref: string, o: ExportVerifierOptions): Promise<void> {
  const client = createClient({ url: o.node })
  const target = isCid(ref) ? { cid: ref } : await resolveTarget(client, ref)
  const setup = await existingSetup(client, target.cid)
  if (!setup) throw new ExitError(1, `Model ${target.cid} has no ZKML setup: run \`verity zk compile ${ref}\` first.`)
  const file = setup.files['zk/Verifier.sol']
  if (!file) throw new ExitError(1, `The ZKML setup in ${setup.repo}@${setup.release} has no zk/Verifier.sol.`)
  const solidity = new TextDecoder().decode(await client.pull(file))
  if (o.output) {
    writeFileAtomic(o.output, solidity)
    info(`Wrote ${o.output} (Groth16 verifier for ${setup.cid}, key ${setup.vkHash}).`)
  } else out(solidity)
}
