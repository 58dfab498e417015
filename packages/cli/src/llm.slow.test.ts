/**
 * The verifiable LLM gateway end to end through the CLI: `verity up` starts a local network whose
 * nodes run the INSECURE dev TEE, in front of an OpenAI-compatible upstream this test starts.
 * `verity chat` / `verity complete` (whole and streamed) verify every answer; `verity verify`
 * re-checks the saved files and names the check a tampered file fails; each settlement mode is
 * checked on the real anvil chain.
 */
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createVerityClient, getBatch, isReceiptSettled, verifyInclusion } from '@verity/chain'
import { chunk, completion, startScriptedUpstream, type ScriptedUpstream } from '@verity/llm-gateway/testing'
import { receiptDigest, type InclusionResponse, type LlmResultJson, type Receipt } from '@verity/protocol'
import { readNetworkFile } from '@verity/network/file'
import { runVerity, startVerityUp, type VerityUp } from './testing.ts'

const dir = mkdtempSync(join(tmpdir(), 'verity-cli-llm-'))
const KEY = 'sk-cli-test-SECRET-777'
let upstream: ScriptedUpstream
let up: VerityUp | null = null
let env: NodeJS.ProcessEnv

before(async () => {
  upstream = await startScriptedUpstream()
  env = { ...process.env, NO_COLOR: '1', VERITY_LOG_LEVEL: 'warn', VERITY_LLM_KEY_LOCAL: KEY }
  for (const k of ['VERITY_NODE', 'VERITY_CHAIN', 'VERITY_NETWORK', 'VERITY_TEE'] as const) delete env[k]
})
after(async () => {
  await up?.stop()
  await upstream?.close()
  rmSync(dir, { recursive: true, force: true })
})

const verity = (args: string[]) => runVerity(args, { cwd: dir, env })

const saved = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as LlmResultJson
const words = (...pieces: string[]) => ({ sse: [chunk({ role: 'assistant', content: '' }), ...pieces.map((p) => chunk({ content: p })), chunk({}, 'stop')] })
// The network comes from ./.verity/network.json; it was started with --tee dev, so dev attestations are accepted.
const net = ['--model', 'local/tiny-llm']

test('verity up with dev TEE nodes → chat and complete, whole and streamed, all verified; tampering fails verify; settlement modes on chain', async () => {
  up = await startVerityUp(['--port', '0', '--nodes', '2', '--samples', 'verity/tiny-mlp', '--settle-interval', '1500', '--tee', 'dev', '--llm-provider', `local=${upstream.baseUrl}`], { cwd: dir, env })

  // Chat, whole: the answer, then the verification summary with the attestation.
  upstream.push({ json: completion('Four.') })
  const chat = await verity(['chat', ...net, '--system', 'Be brief.', '--message', 'What is 2+2?', '--out', 'chat.json'])
  assert.equal(chat.code, 0, chat.stdout + chat.stderr)
  assert.match(chat.stdout, /Answer\nFour\./)
  assert.match(chat.stdout, /VERIFIED — all \d+ checks passed/)
  assert.match(chat.stdout, /✔\s+attestation\s+A dev \(INSECURE\) attestation/)
  assert.match(chat.stdout, /✔\s+attestation\s+On chain 31337, node 0x[0-9a-fA-F]{40} is attested/)
  assert.match(chat.stdout, /✔\s+key binding\s+The dev attestation commits to node 0x/)
  assert.match(chat.stdout, /settlement batch \(in the node's next Merkle batch\)/)
  assert.equal(upstream.received.at(-1)!.headers.authorization, `Bearer ${KEY}`)

  // Chat, streamed; completions whole and streamed.
  upstream.push(words('Two', ' plus', ' two', ' is', ' four.'))
  const streamed = await verity(['chat', ...net, '--message', 'Explain 2+2', '--stream', '--out', 'stream.json'])
  assert.equal(streamed.code, 0, streamed.stdout + streamed.stderr)
  assert.match(streamed.stdout, /Two plus two is four\./)
  assert.match(streamed.stdout, /VERIFIED/)
  upstream.push({ json: completion(' a dragon.') })
  const completed = await verity(['complete', ...net, '--prompt', 'Once upon a time there was', '--out', 'complete.json'])
  assert.equal(completed.code, 0, completed.stdout + completed.stderr)
  assert.match(completed.stdout, / a dragon\./)
  upstream.push(words(' a', ' knight.'))
  const completeStream = await verity(['complete', ...net, '--prompt', 'Once upon a time there was', '--stream', '--json'])
  assert.equal(completeStream.code, 0, completeStream.stderr)
  const json = JSON.parse(completeStream.stdout) as LlmResultJson & { verification: { ok: boolean } }
  assert.equal(json.verification.ok, true)
  assert.equal((json.response.choices as Array<{ text: string }>)[0]!.text, ' a knight.')

  // Saved results re-verify; the dev TEE only when allowed; a tampered answer fails naming the check.
  for (const file of ['stream.json', 'complete.json']) {
    const ok = await verity(['verify', file, '--allow-dev-tee'])
    assert.equal(ok.code, 0, `${file}: ${ok.stdout}${ok.stderr}`)
  }
  const strict = await verity(['verify', 'chat.json'])
  assert.equal(strict.code, 1)
  assert.match(strict.stdout, /✘\s+attestation\s+The dev \(INSECURE\) attestation does not verify/)
  const tampered = saved('chat.json')
  ;(tampered.response.choices as Array<{ message: { content: string } }>)[0]!.message.content = 'Five.'
  writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tampered))
  const bad = await verity(['verify', 'tampered.json', '--allow-dev-tee'])
  assert.equal(bad.code, 1)
  assert.match(bad.stdout, /NOT VERIFIED — 1 of \d+ checks failed \(output\)/)
  assert.match(bad.stdout, /✘\s+output\s+The answer does not hash to the receipt's outputHash/)

  // Settlement: individual is settled alone before the answer; batch lands in a posted Merkle root;
  // private never leaves the node.
  const network = readNetworkFile(join(dir, '.verity', 'network.json'))
  const chain = createVerityClient({ rpcUrl: network.rpcUrl, deployment: network.deployment })
  upstream.push({ json: completion('alone') }, { json: completion('secret') })
  const individual = await verity(['chat', ...net, '--message', 'settle me alone', '--settlement', 'individual', '--out', 'individual.json'])
  assert.equal(individual.code, 0, individual.stdout + individual.stderr)
  assert.match(individual.stdout, /settlement individual \(settled alone, tx 0x[0-9a-f]{64}\)/)
  assert.equal(await isReceiptSettled(chain, { digest: saved('individual.json').verity.receiptId }), true)
  const kept = await verity(['chat', ...net, '--message', 'keep me private', '--settlement', 'private', '--out', 'private.json'])
  assert.equal(kept.code, 0, kept.stdout + kept.stderr)
  // The same per-request settlement on POST /v1/infer.
  const infer = async (settlement: string) => {
    const r = await fetch(`${network.nodes[0]!.url}/v1/infer`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'verity/tiny-mlp@1.00', input: { input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } }, settlement }),
    })
    assert.equal(r.status, 200)
    return r.json() as Promise<{ receipt: Receipt; settlement: { mode: string; status?: string; tx?: string } }>
  }
  const inferAlone = await infer('individual')
  assert.equal(inferAlone.settlement.status, 'settled', JSON.stringify(inferAlone.settlement))
  assert.equal(await isReceiptSettled(chain, { digest: receiptDigest(inferAlone.receipt) }), true)
  const inferPrivate = await infer('private')
  writeFileSync(join(dir, 'infer-private.json'), JSON.stringify({ verity: { receiptId: receiptDigest(inferPrivate.receipt) }, source: { node: network.nodes[0]!.url } }))

  const inclusion = async (file: string): Promise<InclusionResponse> => {
    const r = saved(file)
    return (await fetch(`${r.source!.node}/v1/receipts/${r.verity.receiptId}/inclusion`)).json() as Promise<InclusionResponse>
  }
  let batched = await inclusion('chat.json')
  for (let i = 0; i < 60 && !batched.settled; i++) {
    await new Promise((r) => setTimeout(r, 500))
    batched = await inclusion('chat.json')
  }
  assert.equal(batched.settled, true, 'the batch-mode receipt was posted in a Merkle root')
  assert.equal(await verifyInclusion(chain, { digest: saved('chat.json').verity.receiptId, proof: batched.proof, root: batched.root! }), true)
  assert.ok(await getBatch(chain, { root: batched.root! }))
  // By now the node posted at least one batch after both were issued: neither of them is in one.
  await new Promise((r) => setTimeout(r, 2500))
  for (const file of ['private.json', 'individual.json', 'infer-private.json']) {
    const i = await inclusion(file)
    assert.equal(i.settled, false, `${file} is in no batch`)
    assert.equal(i.root, null)
  }
  assert.equal(await isReceiptSettled(chain, { digest: saved('private.json').verity.receiptId }), false)

  // On chain: attested with an allowed measurement, and settled as asked.
  for (const file of ['chat.json', 'individual.json']) {
    // No --allow-dev-tee: this network was started with --tee dev.
    const onchain = await verity(['verify', '--onchain', file])
    assert.equal(onchain.code, 0, `${file}: ${onchain.stdout}${onchain.stderr}`)
    assert.match(onchain.stdout, /✔\s+attestation\s+On chain 31337, node 0x[0-9a-fA-F]{40} is attested/)
    assert.match(onchain.stdout, /✔\s+on chain\s+(The receipt is settled on chain 31337|The receipt was settled alone)/)
  }

  // Governance revokes the dev measurement: saved answers no longer verify on chain, naming the
  // attestation check, and no node is left to ask.
  const revoke = await verity(['network', 'measurement', 'revoke', 'dev'])
  assert.equal(revoke.code, 0, revoke.stdout + revoke.stderr)
  const revoked = await verity(['verify', '--onchain', 'chat.json', '--allow-dev-tee'])
  assert.equal(revoked.code, 1)
  assert.match(revoked.stdout, /✘\s+attestation\s+The TEE measurement 0x[0-9a-f]+… of node 0x[0-9a-fA-F]{40} was revoked by governance/)
  assert.match(revoked.stdout, /NOT VERIFIED — 1 of \d+ checks failed \(attestation\)/)
  const refused = await verity(['chat', ...net, '--message', 'anyone there?'])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /NO_NODES/)
})
