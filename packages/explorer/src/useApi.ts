import { useEffect, useState } from 'react'
import { api, ApiError } from './lib/api.ts'

export type Loadable<T> = { state: 'loading' } | { state: 'error'; error: ApiError } | { state: 'ready'; data: T }

/** Loads `path` from the node (null path: nothing to load); reloads when the path or `version` changes. */
export function useApi<T>(path: string | null, version = 0): Loadable<T> {
  const [value, setValue] = useState<Loadable<T>>({ state: 'loading' })
  useEffect(() => {
    if (path === null) return
    const controller = new AbortController()
    setValue({ state: 'loading' })
    api<T>(path, { signal: controller.signal })
      .then((data) => setValue({ state: 'ready', data }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return
        setValue({ state: 'error', error: error instanceof ApiError ? error : new ApiError(0, 'UNKNOWN', String(error)) })
      })
    return () => controller.abort()
  }, [path, version])
  return value
}
