import type { TensorMapJson } from '@verity/protocol'

const PREVIEW = 24

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
            <td className="values"><code>{t.data.slice(0, PREVIEW).map(String).join(', ')}{t.data.length > PREVIEW ? `, … (${t.data.length} values)` : ''}</code></td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
