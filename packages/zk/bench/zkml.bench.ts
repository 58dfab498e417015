/**
 * ZKML benchmark: both MNIST models end to end — compile, ceremony + phase 2, witness, prove (cold
 * and warm, in a worker process), verify offline, proof size, on-chain gas, accuracy vs float.
 * The ceremony and per-model keys are cached under .verity/zk (VERITY_ZK_DATA to move it), so a
 * second run measures proving without redoing setup; delete the directory to time setup again.
 * `--quick`: the MLP only.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { BenchContext } from '@verity/bench'
import { summarize } from '@verity/bench'
import {
  compileModel, compileSolidityVerifier, createArtifacts, createProver, loadArtifacts, releaseZkResources, startAnvil, verifyProofCalldata, verifyZkResult,
  type ZkArtifacts, type ZkCircuit,
} from '../src/index.ts'
import { loadMnist } from './mnist.ts'
import { benchBeacon as beacon, benchCeremony, zkDataDir as dataDir } from './zk-ceremony.ts'

const root = resolve(import.meta.dirname, '..')
export default async function zkmlBench(ctx: BenchContext): Promise<void> {
  const { test } = loadMnist()
  const calibration = test.slice(0, 200).map((s) => s.x)
  const evaluation = test.slice(200, ctx.quick ? 400 : 1000)
  // [label, model file, output commitment]: 'hashed' trades on-chain readable outputs for gas.
  const models: Array<[string, string, 'public' | 'hashed']> = [['mlp', 'mlp', 'public'], ['mlp (hashed outputs)', 'mlp', 'hashed']]
  if (!ctx.quick) models.push(['cnn', 'cnn', 'public'])
  const rows: Array<Array<string | number>> = []
  const layerRows: Array<Array<string | number>> = []
  const prover = createProver({ workers: 1 })
  const chain = await startAnvil()
  try {
    const circuits: Array<[string, ZkCircuit]> = []
    for (const [name, file, outputs] of models) {
      const onnx = readFileSync(join(root, 'models', `mnist-${file}.onnx`))
      ctx.progress(`${name}: compiling`)
      const circuit = await compileModel(onnx, { calibration, evaluation: evaluation.map((s) => s.x), outputs, onProgress: (p) => p.stage !== 'agreement' && ctx.progress(`${name}: ${p.message}`) })
      for (const c of circuit.costs) layerRows.push([name, c.node, c.constraints])
      circuits.push([name, circuit])
    }
    // One phase-1 ceremony at the largest power serves every model (each gets its own phase 2).
    const powers = [...new Set(circuits.map(([, c]) => c.power))].sort((a, b) => a - b)
    const { ptauPath, transcript, ms: ceremonyMs } = await benchCeremony(powers.at(-1)!, powers, ctx.progress)
    for (const [name, circuit] of circuits) {
      const dir = join(dataDir, 'models', `${circuit.cid}-${circuit.plan.outputCommitment}`)
      let artifacts: ZkArtifacts
      let phase2Ms = Number.NaN
      try {
        artifacts = loadArtifacts(dir)
      } catch {
        ctx.progress(`${name}: phase 2 at 2^${circuit.power}`)
        const t0 = performance.now()
        artifacts = await createArtifacts({ circuit, ptauPath, ceremony: transcript, contributors: [{ name: 'verity-foundation' }, { name: 'model-owner' }], beacon, dir, onProgress: (p) => ctx.progress(`${name}: ${p.message}`) })
        phase2Ms = performance.now() - t0
      }

      ctx.progress(`${name}: proving`)
      const input = (i: number) => ({ [circuit.plan.input.name]: { dtype: 'float32' as const, shape: circuit.plan.input.shape, data: Array.from(test[i]!.x) } })
      const cold = await prover.prove(artifacts, input(0))
      const warm: number[] = []
      const witness: number[] = []
      const iterations = ctx.quick ? 3 : name === 'mlp' ? 10 : 3
      let last = cold
      for (let i = 1; i <= iterations; i++) {
        const t0 = performance.now()
        last = await prover.prove(artifacts, input(i))
        warm.push(performance.now() - t0)
        witness.push(last.timings.witnessMs)
      }
      const verifyMs: number[] = []
      let ok = true
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now()
        const v = await verifyZkResult({ vk: artifacts.manifest.verifierKey, input: input(iterations), output: last.output, proof: last.proof, publicSignals: last.publicSignals })
        verifyMs.push(performance.now() - t0)
        ok &&= v.ok
      }
      if (!ok) throw new Error(`${name}: a proof did not verify`)
      const { bytecode } = compileSolidityVerifier(readFileSync(join(artifacts.dir, 'Verifier.sol'), 'utf8'))
      const address = await chain.deploy(bytecode)
      const calldata = verifyProofCalldata(last.proof, last.publicSignals)
      if (BigInt(await chain.call(address, calldata)) !== 1n) throw new Error(`${name}: the Solidity verifier rejected a valid proof`)
      const gas = await chain.gasUsed(address, calldata)
      const a = circuit.agreement
      rows.push([
        name, circuit.constraints, `2^${circuit.power}`, (circuit.timings.compileMs / 1000).toFixed(1),
        Number.isNaN(ceremonyMs) ? 'cached' : (ceremonyMs / 1000).toFixed(1), Number.isNaN(phase2Ms) ? 'cached' : (phase2Ms / 1000).toFixed(1),
        summarize(witness).p50.toFixed(0), cold.timings.totalMs.toFixed(0), summarize(warm).p50.toFixed(0), summarize(verifyMs).p50.toFixed(1),
        256, gas, `${(a.argmaxAgreement * 100).toFixed(1)}% of ${a.samples}`, a.maxAbsError.toFixed(3),
      ])
    }
  } finally {
    await prover.close()
    await chain.stop()
    await releaseZkResources()
  }
  ctx.printTable('ZKML (Groth16, BN254, snarkjs; times in ms unless marked s)', [
    'model', 'constraints', 'domain', 'compile s', 'ceremony s', 'phase 2 s', 'witness', 'prove cold', 'prove warm p50', 'verify p50', 'proof bytes', 'gas (tx)', 'argmax = float', 'max |err|',
  ], rows)
  ctx.printTable('Constraints per layer', ['model', 'layer', 'constraints'], layerRows)
}
