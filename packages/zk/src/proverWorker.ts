/** Body of a createProver worker process: proves requests one at a time, replies over IPC. */
import { VerityError } from '@verity/protocol'
import { proveInProcess } from './prove.ts'
import { releaseZkResources } from './setup.ts'

process.on('message', async (m: { id: number; dir: string; input: never }) => {
  try {
    const result = await proveInProcess(m.dir, m.input)
    process.send!({ id: m.id, ok: true, result })
  } catch (error) {
    const e = error as Error
    process.send!({ id: m.id, ok: false, error: error instanceof VerityError ? { code: error.code, message: error.message, details: error.details } : { message: e.message } })
  }
})
process.on('disconnect', () => {
  void releaseZkResources().finally(() => process.exit(0))
})
