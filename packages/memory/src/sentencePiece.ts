/**
 * The sentencepiece unigram tokenizer of the Universal Sentence Encoder lite, ported from
 * `@energetic-ai/embeddings` (itself a port of tfjs-models' USE tokenizer) so the ONNX path needs no
 * TensorFlow.js. It must produce exactly the ids the reference produces, quirks included (ties go to
 * the later candidate, a best score of exactly 0 counts as "unset", the backtrack steps by the piece's
 * UTF-16 length), because the equivalence test compares vectors, not "sensible" segmentations. The
 * port only avoids the reference's per-position array copies, so a 2,000-character text tokenizes in
 * well under a millisecond.
 */

/** [piece, log-probability] pairs, index = token id (the model package's vocab.json). */
export type SentencePieceVocabulary = ReadonlyArray<readonly [string, number]>

export type SentencePieceTokenizer = { encode(text: string): number[] }

/** Ids 0-5 are <unk>, <s>, </s> and extra tokens: never produced by matching, id 0 stands for unknown. */
const RESERVED_IDS = 6
const UNKNOWN_ID = 0
const WORD_START = '\u2581'

type TrieNode = { children: Map<string, TrieNode>; id: number; score: number }

const newNode = (): TrieNode => ({ children: new Map(), id: -1, score: 0 })

export function createSentencePieceTokenizer(vocabulary: SentencePieceVocabulary): SentencePieceTokenizer {
  const root = newNode()
  for (let id = RESERVED_IDS; id < vocabulary.length; id++) {
    const [piece, score] = vocabulary[id]!
    let node = root
    for (const symbol of piece) {
      let child = node.children.get(symbol)
      if (child === undefined) node.children.set(symbol, (child = newNode()))
      node = child
    }
    // A duplicate piece overwrites the earlier one, as in the reference trie.
    node.id = id
    node.score = score
  }
  return {
    encode(text) {
      const symbols = Array.from(normalizeForPieces(text))
      const n = symbols.length
      // matchesByEnd[end] lists (start, score, id) in increasing start order: the reference's visiting order.
      const matchesByEnd: Array<Array<{ start: number; score: number; id: number }>> = Array.from({ length: n + 1 }, () => [])
      for (let start = 0; start < n; start++) {
        let found = false
        let node = root.children.get(symbols[start]!)
        for (let end = start + 1; node !== undefined; end++) {
          if (node.id !== -1) {
            matchesByEnd[end]!.push({ start, score: node.score, id: node.id })
            found = true
          }
          node = end < n ? node.children.get(symbols[end]!) : undefined
        }
        if (!found) matchesByEnd[start + 1]!.push({ start, score: 0, id: UNKNOWN_ID })
      }
      const best = new Float64Array(n + 1)
      const bestId = new Int32Array(n + 1)
      for (let end = 0; end <= n; end++) {
        for (const m of matchesByEnd[end]!) {
          const score = m.score + best[m.start]!
          if (best[end] === 0 || score >= best[end]!) {
            best[end] = score
            bestId[end] = m.id
          }
        }
      }
      const reversed: number[] = []
      for (let at = n; at > 0; at -= vocabulary[bestId[at]!]![0].length) reversed.push(bestId[at]!)
      const ids: number[] = []
      for (let i = reversed.length - 1; i >= 0; i--) {
        // Runs of unknown pieces collapse into one.
        if (reversed[i] === UNKNOWN_ID && ids.at(-1) === UNKNOWN_ID) continue
        ids.push(reversed[i]!)
      }
      return ids
    },
  }
}

function normalizeForPieces(text: string): string {
  const normalized = text.normalize('NFKC')
  return normalized.length > 0 ? WORD_START + normalized.replaceAll(' ', WORD_START) : normalized
}
