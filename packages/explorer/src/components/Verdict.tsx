import type { Verdict } from '../lib/checks.ts'

const statusLabel = { pass: 'Passed', fail: 'Failed', skip: 'Not checked here' } as const
const verdictLabel = { verified: 'Verified', failed: 'Not verified', incomplete: 'Partly verified' } as const
const verdictMark = { verified: '✔', failed: '✘', incomplete: '◐' } as const

/** The verdict at the top, then each check in plain words, in the order they were run. */
export function VerdictView({ verdict, title = 'Verdict' }: { verdict: Verdict; title?: string }) {
  return (
    <section className="verdict-block" aria-label={title}>
      <div className={`verdict verdict-${verdict.status}`} role="status" data-verdict={verdict.status}>
        <p className="verdict-label"><span aria-hidden="true">{verdictMark[verdict.status]}</span> {verdictLabel[verdict.status]}</p>
        <p className="verdict-headline">{verdict.headline}</p>
      </div>
      <ol className="checks">
        {verdict.checks.map((c) => (
          <li key={c.id} className={`check check-${c.status}`} data-check={c.id} data-status={c.status}>
            <span className="check-status">{statusLabel[c.status]}</span>
            <span className="check-title">{c.title}</span>
            <span className="check-message">{c.message}</span>
          </li>
        ))}
      </ol>
      {verdict.facts && verdict.facts.length > 0 ? (
        <table className="fields facts">
          <caption>What the evidence says</caption>
          <tbody>{verdict.facts.map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td><code className="wrap">{v}</code></td></tr>)}</tbody>
        </table>
      ) : null}
    </section>
  )
}
