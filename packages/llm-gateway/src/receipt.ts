/**
 * Receipt fields for a finished LLM exchange. The node signs them with @verity/protocol's
 * signReceipt; nothing here holds a key.
 *
 *   mode        = TEE
 *   modelDigest = llmModelDigest("provider/model")          (hashing.ts)
 *   inputHash   = exchange.requestHash                       (hashing.ts)
 *   outputHash  = exchange.outputHash                        (hashing.ts)
 *   proofHash   = the hash committing to the node's attestation (@verity/tee attestationDigest)
 *   requestId   = sha256("verity-llm-request-id-v1\n" || requestHash || startedAt) unless given
 */
import { createHash } from 'node:crypto'
import { assertReceipt, bytesToHex, isAddress, isBytes32, toChecksumAddress, utf8, type Address, type Hex, type Receipt } from '@verity/protocol'
import { llmModelDigest } from './hashing.ts'
import type { Exchange } from './gateway.ts'

export type BuildReceiptParameters = {
  /** The node's signing address (the one its attestation binds). */
  node: string
  /** bytes32 committing to the attestation, e.g. attestationDigest(evidence) from @verity/tee. */
  attestationHash: Hex
  chainId: number
  requestId?: Hex | undefined
  /** Unix seconds; default the exchange's finish time. */
  timestamp?: number | undefined
}

/** Builds the unsigned receipt for an exchange. @throws TypeError naming a malformed parameter. */
export function buildReceiptFields(exchange: Exchange, params: BuildReceiptParameters): Receipt {
  if (!isAddress(params.node)) throw new TypeError(`buildReceiptFields: node expected an address, got ${JSON.stringify(params.node)}`)
  if (!isBytes32(params.attestationHash)) throw new TypeError(`buildReceiptFields: attestationHash expected lower-case 0x-hex bytes32, got ${JSON.stringify(params.attestationHash)}`)
  const requestId = params.requestId ?? bytesToHex(new Uint8Array(createHash('sha256')
    .update(utf8.encode(`verity-llm-request-id-v1\n${exchange.requestHash}${exchange.startedAt}`)).digest()))
  const receipt: Receipt = {
    requestId,
    modelDigest: llmModelDigest(exchange.request.model),
    inputHash: exchange.requestHash,
    outputHash: exchange.outputHash,
    mode: 'TEE',
    proofHash: params.attestationHash,
    node: toChecksumAddress(params.node) as Address,
    timestamp: params.timestamp ?? Math.floor(exchange.finishedAt / 1000),
    chainId: params.chainId,
  }
  assertReceipt(receipt)
  return receipt
}
