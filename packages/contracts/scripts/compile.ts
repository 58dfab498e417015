/** `node packages/contracts/scripts/compile.ts`: recompiles solidity/ into src/artifacts.ts. */
import { writeFileSync } from 'node:fs'
import { artifactsPath, compileContracts, renderArtifacts } from '../src/compile.ts'

const t0 = performance.now()
const contracts = compileContracts()
writeFileSync(artifactsPath, renderArtifacts(contracts))
console.log(`compiled ${contracts.map((c) => `${c.name} (${(c.bytecode.length - 2) / 2} bytes)`).join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${artifactsPath}`)
