/**
 * `verity chat` and `verity complete`: ask an LLM through a Verity TEE node (or a network of them),
 * verify the answer's receipt and attestation, print the answer and the checks, save it for
 * `verity verify`. Streams print the answer as it arrives and verify at the end.
 */
import { createLlmClient, verifyLlmResult, type LlmClientOptions, type VerifiedLlmResult, type VerifyLlmOptions } from '@verity/sdk/chat'
import type { CheckOutcome, InferenceResult, LlmResultJson, LlmSettlementMode } from '@verity/protocol'
import { writeFileAtomic } from '../files.ts'
import { renderChecks } from '../checks.ts'
import { ExitError } from '../errors.ts'
import { color, info, out } from '../output.ts'
import type { NetworkOptions } from './network.ts'

export type LlmCommandOptions = NetworkOptions & {
  model: string
  node: string
  stream?: boolean
  out?: string
  json?: boolean
  settlement?: LlmSettlementMode
  allowDevTee?: boolean
  timeout: number
  temperature?: number
  maxTokens?: number
}
export type ChatOptions = LlmCommandOptions & { message: string[]; system?: string }
export type CompleteOptions = LlmCommandOptions & { prompt: string }

/**
 * A client for the network (--chain/--network, or the local network `verity up` wrote): TEE nodes
 * with a valid recorded attestation, failover, and the on-chain attestation check; else for --node.
 */
async function clientFor(o: LlmCommandOptions): Promise<{ client: ReturnType<typeof createLlmClient>; where: string }> {
  const base: LlmClientOptions = { allowDevTee: o.allowDevTee === true, timeoutMs: o.timeout }
  const network = await import('./network.ts')
  if (!network.hasNetwork(o)) return { client: createLlmClient({ ...base, url: o.node }), where: o.node }
  const { createNetworkClient } = await import('@verity/sdk/network')
  const { rpcUrl, deployment, file } = network.resolveNetwork(o)
  // The network client brings TEE node selection, failover and the on-chain attestation check.
  const net = createNetworkClient({ rpcUrl, deployment, timeoutMs: o.timeout })
  const client = createLlmClient({ ...base, allowDevTee: network.allowDevTeeFor(o, file), network: net })
  return { client, where: `an attested TEE node of the network on chain ${deployment.chainId}` }
}

const common = (o: LlmCommandOptions): Record<string, unknown> => ({
  model: o.model,
  ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
  ...(o.maxTokens !== undefined ? { max_tokens: o.maxTokens } : {}),
  ...(o.settlement ? { verity: { settlement: o.settlement } } : {}),
})

/** `verity chat --model provider/model --message TEXT [--system TEXT] [--stream]` */
export async function chat(o: ChatOptions): Promise<void> {
  if (!o.message || o.message.length === 0) throw new ExitError(2, '--message TEXT is required (repeat it for several user turns).')
  const messages = [...(o.system ? [{ role: 'system' as const, content: o.system }] : []), ...o.message.map((content) => ({ role: 'user' as const, content }))]
  await run(o, 'chat', { ...common(o), messages })
}

/** `verity complete --model provider/model --prompt TEXT [--stream]` */
export async function complete(o: CompleteOptions): Promise<void> {
  await run(o, 'completion', { ...common(o), prompt: o.prompt })
}

async function run(o: LlmCommandOptions, endpoint: 'chat' | 'completion', body: Record<string, unknown>): Promise<void> {
  const { client, where } = await clientFor(o)
  if (!o.json) info(color.dim(`Asking ${o.model} through ${where}…`))
  const started = performance.now()
  let result: VerifiedLlmResult
  if (o.stream) {
    let printed = false
    let final: VerifiedLlmResult | null = null
    const events = endpoint === 'chat' ? client.chatStream(body as never) : client.completeStream(body as never)
    for await (const event of events) {
      if (event.object === 'verity.result') {
        final = event as VerifiedLlmResult
        continue
      }
      const piece = endpoint === 'chat'
        ? (event as { choices: Array<{ delta?: { content?: string | null } }> }).choices[0]?.delta?.content
        : (event as { choices: Array<{ text?: string }> }).choices[0]?.text
      if (piece && !o.json) {
        if (!printed) out(color.bold('Answer'))
        process.stdout.write(piece)
        printed = true
      }
    }
    if (printed) out('\n')
    result = final!
  } else {
    result = endpoint === 'chat' ? await client.chat(body as never) : await client.complete(body as never)
  }
  const elapsed = performance.now() - started
  const { verification, ...saved } = result
  const { object: _object, ...file } = saved as LlmResultJson & { object?: string }
  if (o.out) writeFileAtomic(o.out, `${JSON.stringify(file, null, 2)}\n`)
  if (o.json) {
    out(JSON.stringify({ ...file, verification }, null, 2))
    return
  }
  if (!o.stream) {
    out(color.bold('Answer'))
    out(answerText(file))
    out()
  }
  printSummary(file, verification.checks)
  out(color.dim(`  ${elapsed.toFixed(0)} ms round trip`))
  if (o.out) out(color.dim(`  saved to ${o.out} (check it any time with: verity verify ${o.out})`))
}

/** The answer's text (tool calls shown as name(arguments)). */
export function answerText(result: LlmResultJson): string {
  const choices = (result.response.choices ?? []) as Array<{ text?: string; message?: { content?: string | null; tool_calls?: Array<{ function: { name: string; arguments: string } }> } }>
  return choices.map((c) => c.text ?? [c.message?.content ?? '', ...(c.message?.tool_calls ?? []).map((t) => `→ ${t.function.name}(${t.function.arguments})`)].filter(Boolean).join('\n')).join('\n---\n')
}

/** The verification summary shared with `verity verify`. */
export function printSummary(result: LlmResultJson, checks: CheckOutcome[]): void {
  out(color.bold('Verification'))
  out(renderChecks(checks))
  out()
  const v = result.verity
  out(color.dim(`  model ${result.request.model as string}\n  node ${v?.receipt?.node}\n  receipt ${v?.receiptId}`))
  if (v?.attestation) out(color.dim(`  attestation ${v.attestation.provider}, measurement ${v.attestation.measurement}, digest ${v.attestation.digest}`))
  if (v?.settlement) {
    const s = v.settlement
    out(color.dim(`  settlement ${s.mode}${'status' in s ? (s.status === 'settled' ? ` (settled alone, tx ${s.tx})` : ` (FAILED: ${s.error}${'fallback' in s && s.fallback ? '; in the node\'s next Merkle batch instead' : ''})`) : s.mode === 'batch' ? ' (in the node\'s next Merkle batch)' : ' (kept by the node, never posted)'}`))
  }
}

/**
 * `verity verify` for a saved LLM result: the offline checks; with a chain (--onchain, --chain,
 * --network) also that the node is attested with a still-allowed measurement, and that the receipt
 * is settled as its settlement mode says (individual: alone; batch: in a posted Merkle root).
 */
export async function verifyLlmFile(file: string, result: LlmResultJson, o: NetworkOptions & { json?: boolean; allowDevTee?: boolean; signer?: string[]; onchain?: boolean }): Promise<void> {
  const onNetwork = o.onchain === true || o.chain !== undefined || o.network !== undefined
  const network = onNetwork ? await import('./network.ts') : null
  const where = network ? network.resolveNetwork(o) : null
  // Like `verity infer`: a network started with --tee dev accepts dev attestations.
  const allowDevTee = network && where ? network.allowDevTeeFor(o, where.file) : o.allowDevTee === true
  const options: VerifyLlmOptions = { allowDevTee, ...(o.signer && o.signer.length > 0 ? { trustedSigners: o.signer } : {}) }
  const verification = verifyLlmResult(result, options)
  if (where) {
    const { createNetworkClient, checkAttestation, checkInclusion } = await import('@verity/sdk/network')
    const { isReceiptSettled } = await import('@verity/chain')
    const { rpcUrl, deployment } = where
    const chain = createNetworkClient({ rpcUrl, deployment }).chain
    const { receipt, signature, receiptId, settlement } = result.verity
    verification.checks.push(await checkAttestation(chain, { receipt }))
    if (o.onchain && settlement?.mode === 'individual') {
      const settled = await isReceiptSettled(chain, { digest: receiptId }).catch(() => false)
      verification.checks.push({ check: 'inclusion', ok: settled, message: settled ? `The receipt was settled alone on chain ${deployment.chainId}.` : `The receipt (settlement individual) is not settled on chain ${deployment.chainId}.` })
    } else if (o.onchain && settlement?.mode === 'batch') {
      verification.checks.push(await checkInclusion(chain, { receipt, signature } as InferenceResult, { fallbackUrl: result.source?.node }))
    }
    verification.ok = verification.checks.every((c) => c.ok)
  }
  if (o.json) out(JSON.stringify(verification, null, 2))
  else {
    out(`Checking ${file}`)
    out()
    printSummary(result, verification.checks)
  }
  if (!verification.ok) throw new ExitError(1)
}
