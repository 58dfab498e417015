/** A tiny in-memory model store for tests and benchmarks: bytes by CID, with a load counter. Internal. */
import { VerityError, cidForBytes, type Tensor, type TensorMap } from '@verity/protocol'

export type TestStore = {
  add: (bytes: Uint8Array) => string
  loadModel: (cid: string) => Promise<Uint8Array>
  loads: Map<string, number>
}

export function createTestStore(): TestStore {
  const models = new Map<string, Uint8Array>()
  const loads = new Map<string, number>()
  return {
    add(bytes) {
      const cid = cidForBytes(bytes)
      models.set(cid, bytes)
      return cid
    },
    async loadModel(cid) {
      const bytes = models.get(cid)
      if (!bytes) throw new VerityError('MODEL_NOT_FOUND', `No model ${cid} in the store.`, { details: { cid } })
      loads.set(cid, (loads.get(cid) ?? 0) + 1)
      return bytes
    },
    loads,
  }
}

/** A deep copy of a tensor map (run() with thread isolation takes ownership of the input buffers). */
export function copyTensors(map: TensorMap): TensorMap {
  const out: TensorMap = {}
  for (const [name, t] of Object.entries(map)) out[name] = { ...t, shape: [...t.shape], data: t.data.slice() } as Tensor
  return out
}
