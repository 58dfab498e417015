/**
 * Test-only fault injection, so that tests can run a lying, slow or crashing node as a real process.
 * Set VERITY_FAULT_INJECT to one of the faults below; it is refused (the node does not start) unless
 * VERITY_ALLOW_FAULT_INJECTION=1 is also set, which only test harnesses do.
 *
 *   flip-output        add 1 to the first element of the first numeric output before it is hashed and
 *                      signed: the node signs a wrong answer (caught by QUORUM, slashed by a dispute)
 *   delay:MS           wait MS milliseconds before answering an inference (to kill a node mid-request)
 *   crash-before-post  SIGKILL itself after a settlement batch is persisted, before its root is posted
 *   crash-after-post   SIGKILL itself after the root is posted, before the batch is marked posted
 *   tee-wrong-key      attest with report data binding an unrelated address instead of the node's key
 *   individual-settlement-fails  every `individual` settlement transaction fails (as when the chain is down)
 */
import { VerityError, type TensorMap } from '@verity/protocol'

export type Fault = { kind: 'flip-output' } | { kind: 'delay'; ms: number } | { kind: 'crash-before-post' } | { kind: 'crash-after-post' } | { kind: 'tee-wrong-key' } | { kind: 'individual-settlement-fails' }

export function faultFromEnv(env: NodeJS.ProcessEnv = process.env): Fault | null {
  const raw = env.VERITY_FAULT_INJECT
  if (raw === undefined || raw === '') return null
  if (env.VERITY_ALLOW_FAULT_INJECTION !== '1') {
    throw new VerityError('BAD_REQUEST', `VERITY_FAULT_INJECT=${raw} is a test-only setting and is refused: this node would sign wrong answers or crash on purpose`, {
      hint: 'Unset VERITY_FAULT_INJECT. Test harnesses also set VERITY_ALLOW_FAULT_INJECTION=1.',
    })
  }
  if (raw === 'flip-output' || raw === 'crash-before-post' || raw === 'crash-after-post' || raw === 'tee-wrong-key' || raw === 'individual-settlement-fails') return { kind: raw }
  const delay = /^delay:(\d+)$/.exec(raw)
  if (delay) return { kind: 'delay', ms: Number(delay[1]) }
  throw new VerityError('BAD_REQUEST', `VERITY_FAULT_INJECT=${raw} is not a known fault (flip-output, delay:MS, crash-before-post, crash-after-post, tee-wrong-key, individual-settlement-fails)`)
}

/** Wraps the runtime's run with the fault (outputs tampered before hashing, or a delay). */
export function withFault<A extends unknown[]>(fault: Fault | null, run: (...args: A) => Promise<TensorMap>): (...args: A) => Promise<TensorMap> {
  if (fault === null || (fault.kind !== 'delay' && fault.kind !== 'flip-output')) return run
  return async (...args: A) => {
    if (fault.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms))
    const outputs = await run(...args)
    if (fault.kind === 'flip-output') {
      for (const tensor of Object.values(outputs)) {
        if (tensor.data.length > 0 && (tensor.data instanceof Float32Array || tensor.data instanceof Float64Array)) {
          tensor.data[0] = tensor.data[0]! + 1
          break
        }
      }
    }
    return outputs
  }
}

export function crashHooks(fault: Fault | null): { beforePost?: () => void; afterPost?: () => void } {
  const die = () => { process.kill(process.pid, 'SIGKILL') }
  if (fault?.kind === 'crash-before-post') return { beforePost: die }
  if (fault?.kind === 'crash-after-post') return { afterPost: die }
  return {}
}
