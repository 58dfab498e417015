import type { BenchContext } from '@verity/bench'
import { cidDigest, cidForBytes, createReceiptSigner, generatePrivateKey, hashTensorSet, merkleLeaf, merkleRoot, privateKeyToAddress, receiptDigest, recoverReceiptSigner, signReceipt, tensorFromValues, ZERO_HASH, type Receipt } from '../src/index.ts'

/** Receipt signing and verification rates, tensor hashing throughput, Merkle root time. */
export default async function run(ctx: BenchContext): Promise<void> {
  const key = generatePrivateKey()
  const node = privateKeyToAddress(key)
  const base: Receipt = {
    requestId: `0x${'11'.repeat(32)}`, modelDigest: cidDigest(cidForBytes(new Uint8Array([1]))), inputHash: `0x${'22'.repeat(32)}`, outputHash: `0x${'33'.repeat(32)}`,
    mode: 'VANILLA', proofHash: ZERO_HASH, node, timestamp: 1_767_225_600, chainId: 31337,
  }
  const n = ctx.quick ? 300 : 3000
  const receipts = Array.from({ length: n }, (_, i) => ({ ...base, timestamp: base.timestamp + i }))
  let t0 = performance.now()
  const signatures = receipts.map((r) => signReceipt(r, key))
  const signMs = performance.now() - t0
  t0 = performance.now()
  for (let i = 0; i < n; i++) if (recoverReceiptSigner(receipts[i]!, signatures[i]!) !== node) throw new Error('recover failed')
  const verifyMs = performance.now() - t0
  t0 = performance.now()
  const digests = receipts.map((r) => receiptDigest(r))
  const digestMs = performance.now() - t0
  // The node's path: the nonce is prepared while the model runs; only s is computed after it.
  const signer = createReceiptSigner(key)
  let prepareMs = 0
  let presignedMs = 0
  for (let i = 0; i < n; i++) {
    t0 = performance.now()
    signer.prepare()
    prepareMs += performance.now() - t0
    t0 = performance.now()
    const signature = signer.signDigest(digests[i]!)
    presignedMs += performance.now() - t0
    if (i < 100 && recoverReceiptSigner(receipts[i]!, signature) !== node) throw new Error('presigned signature does not recover')
  }
  const rows: Array<Array<string | number>> = [
    ['EIP-712 digest', n / (digestMs / 1000), (digestMs / n) * 1000],
    ['sign (digest + secp256k1, RFC 6979 nonce)', n / (signMs / 1000), (signMs / n) * 1000],
    ['prepare a nonce (k·G, k⁻¹; during the run)', n / (prepareMs / 1000), (prepareMs / n) * 1000],
    ['sign a digest with a prepared nonce (after the run)', n / (presignedMs / 1000), (presignedMs / n) * 1000],
    ['verify (digest + ecrecover)', n / (verifyMs / 1000), (verifyMs / n) * 1000],
  ]
  ctx.printTable(`Receipts (${n} each, one core)`, ['operation', 'per second', 'µs each'], rows)

  const sizes = ctx.quick ? [1_000, 100_000] : [1_000, 100_000, 1_000_000]
  const hashRows = sizes.map((size) => {
    const t = { x: tensorFromValues('float32', [size], Array.from({ length: size }, (_, i) => i / 7)) }
    const reps = Math.max(3, Math.round(2_000_000 / size))
    const s = performance.now()
    for (let i = 0; i < reps; i++) hashTensorSet(t)
    const ms = (performance.now() - s) / reps
    return [`float32 × ${size.toLocaleString('en')}`, ms, (size * 4) / 1024 / 1024 / (ms / 1000)]
  })
  ctx.printTable('Canonical tensor hashing (VTS1 + sha2-256)', ['tensor', 'ms', 'MiB/s'], hashRows)

  const leaves = receipts.map((r) => merkleLeaf(receiptDigest(r)))
  t0 = performance.now()
  merkleRoot(leaves)
  ctx.printTable('Merkle batch', ['leaves', 'root ms'], [[String(n), performance.now() - t0]])
}
