import { tensorFromJson, tensorToJson, type InferenceResult, type Mode, type TensorJson } from '@verity/protocol'
import { createClient, withJsonTensors } from '@verity/sdk'
import { readJsonFile, writeFileAtomic } from '../files.ts'
import { renderChecks } from '../checks.ts'
import { ExitError } from '../errors.ts'
import { color, info, out, table } from '../output.ts'

export type InferOptions = { model: string; input: string; mode: string; out?: string; timeout: number; json?: boolean; node: string; k?: number; chain?: string; deployment?: string; network?: string; allowDevTee?: boolean }

/** `verity infer`: run, verify, print. A result that fails verification exits 1 and is not printed as valid. */
export async function infer(options: InferOptions): Promise<void> {
  const input = readJsonFile(options.input)
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ExitError(1, `${options.input} must hold a JSON object of named input tensors, e.g. {"input": {"dtype": "float32", "shape": [1, 4], "data": [1, 2, 3, 4]}}`)
  }
  const started = performance.now()
  // Quorum mode, an explicit chain/network, or TEE mode with a local network: discover nodes on chain
  // (failover, registry check; TEE: only attested nodes, attestation checked on chain).
  const onNetwork = options.mode === 'quorum' || options.chain !== undefined || options.network !== undefined
    || (options.mode === 'tee' && (await import('./network.ts')).hasNetwork(options))
  if (!onNetwork) info(color.dim(`Running ${options.model} on ${options.node} (mode ${options.mode})…`))
  const result = onNetwork
    ? await (await import('./network.ts')).inferOnNetwork({ ...options, input: input as Record<string, unknown>, k: options.k ?? 3 })
    : await createClient({ url: options.node, timeoutMs: options.timeout, allowDevTee: options.allowDevTee }).infer({ model: options.model, input: input as Record<string, unknown>, mode: options.mode as Lowercase<Mode>, timeoutMs: options.timeout })
  const elapsed = performance.now() - started
  const { verification, outputs: _typed, ...wire } = result
  // Saved and printed results use plain JSON arrays, so a person can read (and try to tamper with) them.
  const saved: InferenceResult = withJsonTensors(wire)
  if (saved.receipt.mode === 'ZKML' && !onNetwork) {
    // Saved ZKML results carry the verification key (from the model release, hash checked) for offline checks.
    const { key } = await createClient({ url: options.node, timeoutMs: options.timeout }).zkVerifierKey(saved.model)
    saved.proof = { ...(saved.proof as object), verifierKey: key }
  }
  if (options.out) writeFileAtomic(options.out, `${JSON.stringify(saved, null, 2)}\n`)
  if (options.json) {
    out(JSON.stringify({ ...saved, verification }, null, 2))
    return
  }
  out(color.bold('Output'))
  out(table(Object.entries(saved.output).map(([name, t]) => [name, `${t.dtype}[${t.shape.join('×')}]`, summarize(t)])))
  out()
  const float = (saved.proof as { unprovenFloatOutput?: Record<string, TensorJson> } | undefined)?.unprovenFloatOutput
  if (saved.receipt.mode === 'ZKML' && float) {
    out(color.dim('  The output above is the integer output the proof covers. For comparison only, onnxruntime\'s float output (NOT proven):'))
    out(color.dim(table(Object.entries(float).map(([name, t]) => [name, `${t.dtype}[${t.shape.join('×')}]`, summarize(t)]))))
  }
  out()
  out(color.bold('Verification'))
  out(renderChecks(verification.checks))
  out()
  out(color.dim(`  model ${result.model}\n  receipt ${verification.receiptId}\n  ${elapsed.toFixed(0)} ms round trip`))
  if (options.out) out(color.dim(`  saved to ${options.out} (check it any time with: verity verify ${options.out})`))
}

function summarize(given: TensorJson): string {
  const t = 'data' in given ? given : tensorToJson(tensorFromJson(given))
  if (!('data' in t)) return ''
  const values = t.data
  const head = values.slice(0, 6).map((v) => (typeof v === 'number' ? Number(v.toPrecision(5)) : v)).join(', ')
  let text = `[${head}${values.length > 6 ? `, … (${values.length} values)` : ''}]`
  const numbers = values.filter((v): v is number => typeof v === 'number')
  if (numbers.length > 1 && numbers.length === values.length && t.shape.at(-1) === values.length / (t.shape.slice(0, -1).reduce((a, b) => a * b, 1) || 1) && values.length <= 1000 && t.shape.length <= 2) {
    let best = 0
    for (let i = 1; i < numbers.length; i++) if (numbers[i]! > numbers[best]!) best = i
    text += `  argmax ${best}`
  }
  return text
}
