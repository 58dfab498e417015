import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildMlp } from '@verity/onnx'
import { cidForBytes } from '@verity/protocol'
import { startNode, type RunningNode } from '@verity/node'
import { sampleModels } from '@verity/samples'
import { runVerity } from './testing.ts'

const bin = fileURLToPath(new URL('../bin/verity.js', import.meta.url))
let dir: string
let node: RunningNode

/** Runs the CLI as a child process (asynchronously: the node under test lives in this process). */
async function verity(args: string[], env: Record<string, string> = {}) {
  return runVerity(args, { cwd: dir, env: { ...process.env, VERITY_NODE: node.url, ...env }, timeoutMs: 120_000 })
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verity-cli-'))
  node = await startNode({ dataDir: join(dir, 'node'), port: 0, seedSamples: true, samples: sampleModels.filter((s) => s.repo === 'verity/tiny-mlp'), workers: 1, logLevel: 'silent' })
})
after(async () => {
  await node?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('--help shows commands and examples; a usage error exits 2', async () => {
  const help = await verity(['--help'])
  assert.equal(help.code, 0)
  for (const c of ['up', 'model', 'infer', 'verify']) assert.match(help.stdout, new RegExp(`\\b${c}\\b`))
  const inferHelp = await verity(['infer', '--help'])
  assert.match(inferHelp.stdout, /Examples:\n\s+\$ verity infer --model/)
  assert.match((await verity(['model', 'push', '--help'])).stdout, /--json/)
  assert.equal((await verity(['infer'])).code, 2)
})

test('infer prints a verified result; verify passes, then fails naming the check after one number changes', async () => {
  writeFileSync(join(dir, 'input.json'), JSON.stringify({ input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } }))
  const run = await verity(['infer', '--model', 'verity/tiny-mlp@1.00', '--input', 'input.json', '--out', 'result.json'])
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /VERIFIED — all \d+ checks passed/)
  assert.match(run.stdout, /signed by node 0x[0-9a-fA-F]{40}/)
  const ok = await verity(['verify', 'result.json'])
  assert.equal(ok.code, 0, ok.stdout + ok.stderr)
  assert.match(ok.stdout, /VERIFIED/)
  const saved = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'))
  saved.output.output.data[1] = saved.output.output.data[1] + 0.001
  writeFileSync(join(dir, 'tampered.json'), JSON.stringify(saved))
  const bad = await verity(['verify', 'tampered.json'])
  assert.equal(bad.code, 1)
  assert.match(bad.stdout, /✘\s+output\s+The output tensors hash to .* but the receipt says .*changed after signing/)
  assert.match(bad.stdout, /NOT VERIFIED — 1 of \d+ checks failed \(output\)/)
  const json = await verity(['verify', 'tampered.json', '--json'])
  assert.equal(JSON.parse(json.stdout).ok, false)
  const byNode = await verity(['verify', 'result.json', '--node', node.url])
  assert.equal(byNode.code, 0, byNode.stdout + byNode.stderr)
  assert.match(byNode.stdout, /is one of the signers you trust/)
  const pinned = await verity(['verify', 'result.json', '--signer', '0x0000000000000000000000000000000000000001'])
  assert.equal(pinned.code, 1)
  assert.match(pinned.stdout, /not among the signers you trust/)
})

test('model push prints the CID (and JSON with --json); info, search, ls and pull work', async () => {
  const bytes = buildMlp({ name: 'cli', sizes: [3, 5, 2], seed: 11 })
  writeFileSync(join(dir, 'm.onnx'), bytes)
  const push = await verity(['model', 'push', 'm.onnx', '--repo', 'acme/cli-model', '--release', '1.00', '--publish'])
  assert.equal(push.code, 0, push.stderr)
  assert.equal(push.stdout.trim(), cidForBytes(bytes))
  const pushJson = await verity(['model', 'push', 'm.onnx', '--repo', 'acme/cli-model', '--path', 'copy.onnx', '--json'])
  assert.equal(pushJson.code, 0, pushJson.stderr)
  const parsed = JSON.parse(pushJson.stdout)
  assert.equal(parsed.cid, cidForBytes(bytes))
  assert.equal(parsed.release, '1.01', 'the next release after the published 1.00')
  const info = await verity(['model', 'info', 'acme/cli-model'])
  assert.match(info.stdout, /Release 1.00/)
  assert.match(info.stdout, /in  input: float32\[batch, 3\]/)
  assert.match((await verity(['model', 'search', 'cli-model'])).stdout, /acme\/cli-model/)
  assert.match((await verity(['model', 'ls', 'acme'])).stdout, /acme\/cli-model/)
  const pull = await verity(['model', 'pull', 'acme/cli-model@1.00', '-o', 'pulled.onnx'])
  assert.equal(pull.code, 0, pull.stderr)
  assert.equal(cidForBytes(readFileSync(join(dir, 'pulled.onnx'))), cidForBytes(bytes))
})

test('errors are clear: unknown model, bad input file, unreachable node', async () => {
  writeFileSync(join(dir, 'bad.json'), '{ not json')
  const badFile = await verity(['infer', '--model', 'verity/tiny-mlp@1.00', '--input', 'bad.json'])
  assert.equal(badFile.code, 1)
  assert.match(badFile.stderr, /bad.json is not valid JSON/)
  const unknown = await verity(['infer', '--model', 'nobody/nothing', '--input', 'input.json'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /NOT_FOUND/)
  const down = await verity(['model', 'search', 'x'], { VERITY_NODE: 'http://127.0.0.1:9' })
  assert.equal(down.code, 1)
  assert.match(down.stderr, /Cannot reach the Verity node at http:\/\/127.0.0.1:9/)
})

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

test('verity up --single starts a seeded node, prints what runs where, and stops on SIGINT', async () => {
  const port = await freePort()
  const child = spawn(process.execPath, [bin, 'up', '--single', '--data-dir', join(dir, 'up'), '--port', String(port), '--workers', '1'], { env: { ...process.env, NO_COLOR: '1', VERITY_LOG_LEVEL: 'warn' } })
  let stdout = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', () => {})
  try {
    const deadline = Date.now() + 120_000
    while (!stdout.includes('Press Ctrl-C') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    assert.match(stdout, /Verity is up/)
    assert.match(stdout, new RegExp(`http://127.0.0.1:${port}`))
    assert.match(stdout, /verity\/tiny-mlp@1.00\s+bafkrei/)
    assert.match(stdout, /paddleocr\/text-recognizer@4.00/)
    writeFileSync(join(dir, 'up-input.json'), JSON.stringify({ input: [[1, 2, 3, 4]] }))
    const r = await verity(['infer', '--model', 'verity/tiny-mlp@1.00', '--input', 'up-input.json'], { VERITY_NODE: `http://127.0.0.1:${port}` })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /VERIFIED/)
  } finally {
    child.kill('SIGINT')
    await new Promise((r) => child.once('exit', r))
  }
})
