import { tensorFromJson, tensorToJson, type TensorJson, type TensorMapJson } from '@verity/protocol'

const PREVIEW = 24

/** Values for display: compact base64 tensors are decoded; unreadable ones show as empty. */
function valuesOf(t: TensorJson): Array<number | string | boolean> {
  if ('data' in t) return t.data
  try {
    const json = tensorToJson(tensorFromJson(t))
    return 'data' in json ? json.data : []
  } catch {
    return []
  }
}

/** Tensor names, dtypes, shapes and the first values (the full data is in the downloadable JSON). */
export function Tensors({ tensors, caption }: { tensors: TensorMapJson | undefined; caption: string }) {
  if (!tensors) return <p className="muted">{caption}: not stored by the node (too large); only its hash is in the receipt.</p>
  return (
    <table className="tensors">
      <caption>{caption}</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Shape</th><th scope="col">Values</th></tr></thead>
      <tbody>
        {Object.entries(tensors).map(([name, t]) => (
          <tr key={name}>
            <th scope="row"><code>{name}</code></th>
            <td>{t.dtype}</td>
            <td>[{t.shape.join(', ')}]</td>
            <td className="values"><code>{((v) => `${v.slice(0, PREVIEW).map(String).join(', ')}${v.length > PREVIEW ? `, … (${v.length} values)` : ''}`)(valuesOf(t))}</code></td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
