/**
 * @verity/explorer — the web app the node serves at `/`. This entry exposes its pure logic (the pages'
 * building blocks) for tests and for other front ends; the app itself is built by Vite into dist/.
 */
export { formModelFromSchema, fieldShape, setDim, fillExample, nest, buildInferInput, MAX_EXAMPLE_ELEMENTS, type DimField, type InputField, type FormModel, type BuildInputReturnType } from './formModel.ts'
export { parseMarkdown, parseInline, safeHref, type Block, type Inline } from './markdown.ts'
export { verifyForDisplay, verifyText, verifyWithEvidence, verifyTextWithEvidence, withChecks, isStoredReceipt, isThisNode, checkTitles, type Verdict, type VerdictStatus, type DisplayCheck, type CheckStatus, type VerifyForDisplayOptions } from './checks.ts'
export { seriesFromStats, niceMax, linePath, bars, type MinuteSeries } from './chart.ts'
export { matchRoute, hrefs, type Route } from './router.ts'
export { shortHex, formatAge, formatBytes, formatCount } from './format.ts'
export { api, ApiError } from './api.ts'
export { verifyMemoryView, checkLogEntries, checkMemoryAgainstLog, type MemoryView, type MemoryItemJson, type MemoryMessageJson, type EntryCheck, type MemoryCheck } from './memory.ts'
export { verifyGroth16 } from './groth16.ts'
export type { ExplorerChainJson } from './chainTypes.ts'
