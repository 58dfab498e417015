import { useState, type FormEvent } from 'react'
import type { InferenceResult, IoSchema } from '@verity/protocol'
import { api, ApiError } from '../lib/api.ts'
import { verifyWithEvidence, type Verdict } from '../lib/checks.ts'
import { buildInferInput, fieldShape, fillExample, formModelFromSchema, setDim, type FormModel } from '../lib/formModel.ts'
import { hrefs } from '../lib/router.ts'
import { Link, useNode } from '../nav.tsx'
import { DownloadJson } from './Download.tsx'
import { Problem } from './Problem.tsx'
import { Tensors } from './Tensors.tsx'
import { VerdictView } from './Verdict.tsx'

/** A form generated from the model's input schema; the answer is verified here before it is shown. */
export function RunForm({ modelRef, cid, schema, modes = ['VANILLA'] }: { modelRef: string; cid: string; schema: IoSchema; modes?: string[] }) {
  const node = useNode()
  const [model, setModel] = useState<FormModel>(() => formModelFromSchema(schema))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const [mode, setMode] = useState(modes[0] ?? 'VANILLA')
  const [failure, setFailure] = useState<ApiError | null>(null)
  const [outcome, setOutcome] = useState<{ result: InferenceResult; verdict: Verdict } | null>(null)

  const update = (i: number, f: (field: FormModel['fields'][number]) => FormModel['fields'][number]) => {
    setModel((m) => ({ fields: m.fields.map((x, j) => (j === i ? f(x) : x)) }))
  }
  const fill = (i: number) => {
    try {
      update(i, fillExample)
      setErrors((e) => { const { [model.fields[i]!.name]: _, ...rest } = e; return rest })
    } catch (error) {
      setErrors((e) => ({ ...e, [model.fields[i]!.name]: (error as Error).message }))
    }
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const built = buildInferInput(model)
    if (!built.ok) { setErrors(built.errors); return }
    setErrors({}); setBusy(true); setFailure(null); setOutcome(null)
    try {
      const result = await api<InferenceResult>('/v1/infer', { method: 'POST', body: { model: modelRef, input: built.input, ...(mode === 'VANILLA' ? {} : { mode: mode.toLowerCase() }) } })
      if ((result as { status?: string }).status === 'pending') throw new ApiError(202, 'PROOF_PENDING', 'The proof is taking longer than the node waits; it is still being made. Try again with a smaller input, or fetch it with the CLI.')
      const verdict = await verifyWithEvidence(result, { expectedModel: cid, trustedSigners: node ? [node.address] : undefined })
      setOutcome({ result, verdict })
    } catch (error) {
      setFailure(error instanceof ApiError ? error : new ApiError(0, 'UNKNOWN', String(error)))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="run" onSubmit={submit} noValidate aria-busy={busy}>
      {model.fields.map((field, i) => {
        const id = `in-${i}`
        const error = errors[field.name]
        return (
          <fieldset key={field.name} className="tensor-field">
            <legend>Input <code>{field.name}</code></legend>
            <p className="muted">Type <strong>{field.dtype}</strong>{field.dtypeDeclared ? '' : ' (assumed: the model does not declare it)'} · shape [{fieldShape(field).join(', ')}]</p>
            <div className="dims">
              {field.dims.map((d, k) => d.kind === 'fixed'
                ? <span key={k} className="dim-fixed" title={`dimension ${k} is fixed`}>{d.size}</span>
                : (
                  <span key={k} className="field dim">
                    <label htmlFor={`${id}-dim-${k}`}>{d.label}</label>
                    <input id={`${id}-dim-${k}`} type="number" min={1} step={1} value={d.size} inputMode="numeric"
                      onChange={(e) => update(i, (f) => setDim(f, k, Math.max(1, Math.floor(Number(e.target.value) || 1))))} />
                  </span>
                ))}
            </div>
            <div className="field">
              <label htmlFor={`${id}-data`}>Data for {field.name} (nested JSON arrays)</label>
              <textarea id={`${id}-data`} rows={4} spellCheck={false} value={field.data} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined}
                onChange={(e) => update(i, (f) => ({ ...f, data: e.target.value }))} />
              {error ? <p id={`${id}-error`} className="field-error" role="alert">{error}</p> : null}
            </div>
            <button type="button" className="secondary" onClick={() => fill(i)}>Fill example for {field.name}</button>
          </fieldset>
        )
      })}
      {modes.length > 1 ? (
        <p className="field inline">
          <label htmlFor="run-mode">Proof mode</label>
          <select id="run-mode" value={mode} onChange={(e) => setMode(e.target.value)}>
            {modes.map((m) => <option key={m} value={m}>{m === 'ZKML' ? 'ZKML (zero-knowledge proof, slower)' : m === 'VANILLA' ? 'VANILLA (signature only)' : m === 'TEE' ? 'TEE (hardware attestation)' : m}</option>)}
          </select>
        </p>
      ) : null}
      <button type="submit" disabled={busy}>{busy ? (mode === 'ZKML' ? 'Proving…' : 'Running…') : 'Run and verify'}</button>
      {failure ? <Problem error={failure} what="The node refused the request." /> : null}
      {outcome ? (
        <section className="run-result" aria-label="Result">
          <VerdictView verdict={outcome.verdict} title="Verdict on this result" />
          <Tensors tensors={outcome.result.output} caption="Output" />
          <p className="actions">
            {outcome.verdict.receiptId ? <Link href={hrefs.receipt(outcome.verdict.receiptId)}>Open the receipt page (shareable)</Link> : null}
            <DownloadJson value={outcome.result} fileName="result.json" label="Save result JSON" />
          </p>
        </section>
      ) : null}
    </form>
  )
}
