/** GET /v1/explorer/chain: where the page reads the chain itself. */
export type ExplorerChainJson = { rpcUrl: string; chainId: number; nodeRegistry: string; settlement: string; deployedAtBlock: number }
