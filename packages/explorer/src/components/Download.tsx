import { useEffect, useMemo } from 'react'

/** A link that saves `value` as a JSON file (a blob URL: nothing leaves the browser). */
export function DownloadJson({ value, fileName, label }: { value: unknown; fileName: string; label: string }) {
  const url = useMemo(() => URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' })), [value])
  useEffect(() => () => URL.revokeObjectURL(url), [url])
  return <a className="button secondary" href={url} download={fileName}>{label}</a>
}
