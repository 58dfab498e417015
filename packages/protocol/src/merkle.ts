/**
 * Merkle trees over receipts for batch settlement, compatible with OpenZeppelin's MerkleProof
 * (sorted-pair keccak256 hashing). Specified once, here:
 *
 *   leaf(receipt) = keccak256(keccak256(abi.encode(bytes32 receiptDigest)))   (double hash: a leaf can
 *                   never be mistaken for an inner node of 64 bytes)
 *   node(a, b)    = keccak256(min(a, b) || max(a, b))
 *   layers are built left to right; an odd last node is carried up unchanged.
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, concatBytes, hexToBytes, type Hex } from './bytes.ts'

export function merkleLeaf(receiptDigest: Hex): Hex {
  return bytesToHex(keccak_256(keccak_256(hexToBytes(receiptDigest, 'receiptDigest'))))
}

function hashPair(a: Hex, b: Hex): Hex {
  const [lo, hi] = a < b ? [a, b] : [b, a]
  return bytesToHex(keccak_256(concatBytes(hexToBytes(lo), hexToBytes(hi))))
}

function layersOf(leaves: readonly Hex[]): Hex[][] {
  if (leaves.length === 0) throw new RangeError('merkle tree needs at least one leaf')
  const layers: Hex[][] = [leaves.map((l) => l.toLowerCase() as Hex)]
  while (layers.at(-1)!.length > 1) {
    const prev = layers.at(-1)!
    const next: Hex[] = []
    for (let i = 0; i < prev.length; i += 2) next.push(i + 1 < prev.length ? hashPair(prev[i]!, prev[i + 1]!) : prev[i]!)
    layers.push(next)
  }
  return layers
}

export function merkleRoot(leaves: readonly Hex[]): Hex {
  return layersOf(leaves).at(-1)![0]!
}

/** Sibling hashes from leaf to root for the leaf at `index`. */
export function merkleProof(leaves: readonly Hex[], index: number): Hex[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`leaf index ${index} out of range 0..${leaves.length - 1}`)
  const proof: Hex[] = []
  const layers = layersOf(leaves)
  for (let level = 0, i = index; level < layers.length - 1; level++, i = Math.floor(i / 2)) {
    const layer = layers[level]!
    const sibling = i % 2 === 0 ? i + 1 : i - 1
    if (sibling < layer.length) proof.push(layer[sibling]!)
  }
  return proof
}

export function verifyMerkleProof(leaf: Hex, proof: readonly Hex[], root: Hex): boolean {
  let node = leaf.toLowerCase() as Hex
  for (const sibling of proof) node = hashPair(node, sibling.toLowerCase() as Hex)
  return node === root.toLowerCase()
}
