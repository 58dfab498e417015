/**
 * Block windows for event reads. Public RPC providers refuse an eth_getLogs call over a wide block
 * range (10,000 blocks is a common cap, some allow 2,000 or fewer), so every reader of Verity's events
 * (the chain actions, the node, the explorer in a browser) goes window by window. Imports nothing,
 * so a browser bundle can take it alone (`@verity/chain/logs`).
 */

/** The default widest window, in blocks. */
export const DEFAULT_LOG_BLOCK_RANGE = 10_000

/** Reads [fromBlock, toBlock] in windows of at most `span` blocks, oldest first, one `read` call per window. */
export async function readInWindows<T>(
  fromBlock: bigint, toBlock: bigint, span: number, read: (window: { fromBlock: bigint; toBlock: bigint }) => Promise<T[]>,
): Promise<T[]> {
  if (!(Number.isSafeInteger(span) && span > 0)) throw new RangeError(`the log window must be a positive integer number of blocks, got ${span}`)
  const width = BigInt(span)
  const out: T[] = []
  for (let from = fromBlock; from <= toBlock; from += width) {
    const to = from + width - 1n < toBlock ? from + width - 1n : toBlock
    out.push(...(await read({ fromBlock: from, toBlock: to })))
  }
  return out
}

/** readInWindows from `fromBlock` to the chain's latest block, asked of `client` now (a viem public client). */
export async function readToLatestInWindows<T>(
  client: { getBlockNumber(options: { cacheTime: number }): Promise<bigint> }, fromBlock: bigint, span: number,
  read: (window: { fromBlock: bigint; toBlock: bigint }) => Promise<T[]>,
): Promise<T[]> {
  return readInWindows(fromBlock, await client.getBlockNumber({ cacheTime: 0 }), span, read)
}
