/// <reference path="./vendor.d.ts" />
/**
 * A model's ZKML artifacts: one directory per model CID, written to a temporary directory and
 * renamed into place (never half-written).
 *
 *   manifest.json   what the hub stores with the release: CID, sizes, vk hash, the verifier key,
 *                   compile report and both ceremony transcripts
 *   plan.json       the integer plan (quantized weights, scales): re-derivable from the ONNX file
 *   circuit.r1cs    the constraint system (iden3 format)
 *   circuit.zkey    the Groth16 proving key after phase 2
 *   Verifier.sol    the Solidity verifier (snarkjs template) for this key
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import * as snarkjs from 'snarkjs'
import { VerityError } from '@verity/protocol'
import type { ZkCircuit } from './compile.ts'
import type { Plan } from './plan.ts'
import { setupCircuit, type Beacon, type CeremonyTranscript, type Contributor, type Phase2Transcript, type SetupProgress } from './setup.ts'
import { vkHash, type ZkVerifierKey } from './verify.ts'

export type ZkManifest = {
  version: 1
  cid: string
  modelTag: string
  constraints: number
  wires: number
  publicSignals: number
  power: number
  vkHash: string
  verifierKey: ZkVerifierKey
  compile: { layers: ZkCircuit['layers']; costs: ZkCircuit['costs']; agreement: ZkCircuit['agreement']; compileMs: number }
  ceremony: CeremonyTranscript | { ptauSha256: string; source: string }
  phase2: Phase2Transcript
  files: { plan: string; r1cs: string; zkey: string; solidity: string }
}

export type ZkArtifacts = { dir: string; manifest: ZkManifest }

export type CreateArtifactsParameters = {
  circuit: ZkCircuit
  /** Prepared powers-of-tau file (from runCeremony or loadPtau). */
  ptauPath: string
  ceremony: ZkManifest['ceremony']
  contributors: readonly Contributor[]
  beacon: Beacon
  /** Final directory for this model's artifacts (replaced atomically). */
  dir: string
  onProgress?: ((p: SetupProgress) => void) | undefined
}

export async function createArtifacts(p: CreateArtifactsParameters): Promise<ZkArtifacts> {
  const c = p.circuit
  mkdirSync(dirname(p.dir), { recursive: true })
  const tmp = `${p.dir}.tmp-${process.pid}-${Date.now()}`
  mkdirSync(tmp, { recursive: true })
  try {
    writeFileSync(join(tmp, 'circuit.r1cs'), c.r1cs)
    writeFileSync(join(tmp, 'plan.json'), JSON.stringify(c.plan))
    const { zkeyPath, vk, transcript } = await setupCircuit({ r1csPath: join(tmp, 'circuit.r1cs'), ptauPath: p.ptauPath, dir: tmp, contributors: p.contributors, beacon: p.beacon, power: c.power, onProgress: p.onProgress })
    if (zkeyPath !== join(tmp, 'circuit.zkey')) renameSync(zkeyPath, join(tmp, 'circuit.zkey'))
    writeFileSync(join(tmp, 'Verifier.sol'), await exportSolidityVerifier(join(tmp, 'circuit.zkey')))
    const verifierKey: ZkVerifierKey = {
      version: 1, cid: c.cid, modelTag: c.modelTag, vk: vk as Record<string, unknown>, vkHash: vkHash(vk),
      input: c.plan.input, outputs: c.plan.outputs.map((o) => ({ name: o.name, shape: o.shape, scales: o.scales, dtype: o.dtype })),
      outputCommitment: c.plan.outputCommitment,
    }
    const manifest: ZkManifest = {
      version: 1, cid: c.cid, modelTag: c.modelTag, constraints: c.constraints, wires: c.wires, publicSignals: c.publicSignals, power: c.power,
      vkHash: verifierKey.vkHash, verifierKey,
      compile: { layers: c.layers, costs: c.costs, agreement: c.agreement, compileMs: c.timings.compileMs },
      ceremony: p.ceremony, phase2: transcript,
      files: { plan: 'plan.json', r1cs: 'circuit.r1cs', zkey: 'circuit.zkey', solidity: 'Verifier.sol' },
    }
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2))
    if (existsSync(p.dir)) rmSync(p.dir, { recursive: true, force: true })
    renameSync(tmp, p.dir)
    return { dir: p.dir, manifest }
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true })
    throw error
  }
}

/** Reads a model's artifacts; SETUP_MISSING names what is absent. */
export function loadArtifacts(dir: string): ZkArtifacts {
  const path = join(dir, 'manifest.json')
  if (!existsSync(path)) throw new VerityError('SETUP_MISSING', `No ZKML setup at ${dir} (manifest.json missing): compile the model and run the setup first.`, { details: { dir } })
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as ZkManifest
  for (const f of Object.values(manifest.files)) {
    if (!existsSync(join(dir, f))) throw new VerityError('SETUP_MISSING', `The ZKML setup at ${dir} lacks ${f}: re-run the setup.`, { details: { dir, file: f } })
  }
  return { dir, manifest }
}

export function readPlan(a: ZkArtifacts): Plan {
  return JSON.parse(readFileSync(join(a.dir, a.manifest.files.plan), 'utf8')) as Plan
}

/** snarkjs' Groth16 Solidity verifier for a proving key. */
export async function exportSolidityVerifier(zkeyPath: string): Promise<string> {
  const require = createRequire(import.meta.url)
  const root = join(dirname(require.resolve('snarkjs')), '..')
  const groth16 = readFileSync(join(root, 'templates', 'verifier_groth16.sol.ejs'), 'utf8')
  return (await snarkjs.zKey.exportSolidityVerifier(zkeyPath, { groth16 })) as string
}
