/**
 * One inference, read straight down: resolve the model → check the input against its declared
 * inputs → hash it → run → hash the output → sign the receipt → store it → answer (JSON tensors, or
 * typed tensors for a binary message).
 *
 * Whatever does not depend on the output is done while the model runs, not after it: the input hash,
 * the receipt fields known in advance, the signature's nonce (the point multiplication, nearly all of
 * a signature's cost) and the node's deferred work (`whileRunning`). What is left after the run is
 * hashing the output, the EIP-712 digest and three modular operations for the signature.
 */
import { randomBytes } from 'node:crypto'
import {
  bytesToHex, cidDigest, hashTensorSet, receiptDigest, tensorMapFromJson, tensorMapToJson, VerityError, ZERO_HASH,
  type BinaryInferenceResult, type Hex, type InferRequest, type InferenceResult, type Mode, type Receipt, type ReceiptSigner, type Tensor, type TensorEncoding, type TensorMap,
} from '@verity/protocol'
import type { ReceiptEntry } from './receipts.ts'
import type { NodeKey } from './key.ts'
import type { NodeAttestation } from './attestation.ts'

/** What inference needs from the hub, the runtime and the receipt store (server.ts wires the real ones). */
export type InferencePorts = {
  resolveModel: (ref: string) => Promise<{ cid: string; ref: string }>
  prepareInputs: (cid: string, raw: Record<string, unknown>) => Promise<TensorMap>
  /** May take ownership of (detach) the input buffers. */
  run: (cid: string, inputs: TensorMap, timeoutMs: number) => Promise<TensorMap>
  /** `latencyMs`: from the request to the signed receipt. */
  saveReceipt: (entry: ReceiptEntry) => Promise<void>
  key: NodeKey
  /** Signs receipts with the node key; its nonce is prepared while the model runs. */
  signer: ReceiptSigner
  /** The node's deferred work (e.g. committing earlier receipts), run while this request's model runs. */
  whileRunning?: (() => void) | undefined
  chainId: number
  defaultTimeoutMs: number
  now?: () => number
  /** The node's current TEE attestation; absent on nodes without TEE (mode TEE is then refused). */
  attestation?: (() => Promise<NodeAttestation>) | undefined
}

// QUORUM computes exactly as VANILLA; the mode in the signed receipt makes it disputable on chain.
const supportedModes: Mode[] = ['VANILLA', 'QUORUM']

/** How the answer carries its tensors: JSON (`json` arrays or `base64`), or typed for a binary message. */
export type AnswerEncoding = TensorEncoding | 'binary'

export async function runInference(ports: InferencePorts, request: InferRequest, encoding: AnswerEncoding = request.encoding ?? 'json'): Promise<InferenceResult | BinaryInferenceResult> {
  const started = performance.now()
  const mode = (request.mode ?? 'vanilla').toUpperCase() as Mode
  if (mode === 'TEE' && ports.attestation === undefined) {
    throw new VerityError('UNSUPPORTED_MODE', 'Mode TEE is not served by this node: it runs without a TEE (config tee: none), so it has no attestation to attach.', {
      details: { mode, supported: supportedModes },
      hint: 'Ask a node whose GET /v1/health lists TEE, or start this one with --tee (auto, nitro, configfs-tsm, sev-guest; dev on local networks only).',
    })
  }
  if (mode !== 'TEE' && !supportedModes.includes(mode)) {
    throw new VerityError('UNSUPPORTED_MODE', `Mode ${mode} is not served by this node; it serves ${supportedModes.join(', ')}.`, { details: { mode, supported: supportedModes } })
  }
  const { cid, ref } = await ports.resolveModel(request.model)
  const inputs = await ports.prepareInputs(cid, request.input)
  // The runtime takes ownership of the buffers it is given: it runs on a copy while this thread
  // hashes and serialises the original, so both happen during the model's run, not before it.
  const running = ports.run(cid, copyTensors(inputs), request.timeoutMs ?? ports.defaultTimeoutMs)
  running.catch(() => undefined)
  const inputHash = hashTensorSet(inputs)
  const requestId = request.requestId ?? (bytesToHex(randomBytes(32)) as Hex)
  const modelDigest = cidDigest(cid)
  const jsonEncoding = encoding === 'binary' ? null : encoding
  const inputJson = jsonEncoding === null ? null : tensorMapToJson(inputs, jsonEncoding)
  ports.signer.prepare()
  ports.whileRunning?.()
  const outputs = await running
  // Taken after the run: the evidence attached is the one current when the receipt is signed.
  const attestation = mode === 'TEE' ? await ports.attestation!() : null
  const receipt: Receipt = {
    requestId,
    modelDigest,
    inputHash,
    outputHash: hashTensorSet(outputs),
    mode,
    proofHash: attestation?.digest ?? ZERO_HASH,
    node: ports.key.address,
    timestamp: Math.floor((ports.now?.() ?? Date.now()) / 1000),
    chainId: ports.chainId,
  }
  const id = receiptDigest(receipt)
  const signature = ports.signer.signDigest(id)
  const proof = attestation ? { proof: attestation.evidence } : {}
  await ports.saveReceipt({ id, model: cid, receipt, signature, latencyMs: performance.now() - started, input: inputs, output: outputs, ...proof })
  const head = { version: 1 as const, model: cid, receipt, signature, source: { ref }, ...proof }
  if (jsonEncoding === null || inputJson === null) return { head, outputs }
  return { ...head, input: inputJson, output: tensorMapToJson(outputs, jsonEncoding) }
}

/** A JSON result as a binary message's parts (the head without tensors; the outputs typed). */
export function binaryResultOf({ input: _input, output, ...head }: InferenceResult): BinaryInferenceResult {
  return { head, outputs: tensorMapFromJson(output, 'output') }
}

function copyTensors(map: TensorMap): TensorMap {
  const copy: TensorMap = {}
  for (const [name, t] of Object.entries(map)) copy[name] = { ...t, shape: [...t.shape], data: t.data.slice() } as Tensor
  return copy
}
