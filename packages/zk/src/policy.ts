/**
 * Which setups a verifier accepts. A Groth16 key is only as honest as its ceremony: whoever knows
 * all of the toxic waste can forge proofs, so a verifier names contributors it trusts (e.g. itself,
 * or a foundation) and requires at least one of them in each phase, and never a setup made by the
 * proving node alone.
 */
import type { ZkManifest } from './artifacts.ts'
import type { ZkCheck } from './verify.ts'

export type SetupPolicy = {
  /** At least one contributor of each phase must be one of these names. */
  trustedContributors: readonly string[]
  /** The proving node's contributor name: a setup it contributed to alone is rejected. */
  provingNode?: string | undefined
  /** Minimum number of named contributions per phase (the beacon is extra). Default 1. */
  minContributions?: number | undefined
}

export function checkSetupPolicy(manifest: Pick<ZkManifest, 'ceremony' | 'phase2'>, policy: SetupPolicy): ZkCheck {
  const min = policy.minContributions ?? 1
  const phase1 = 'contributions' in manifest.ceremony ? manifest.ceremony.contributions.map((c) => c.name) : null
  const phase2 = manifest.phase2.contributions.map((c) => c.name)
  const problems: string[] = []
  for (const [label, names] of [['phase 1', phase1], ['phase 2', phase2]] as const) {
    if (names === null) continue // a public powers-of-tau file, checked by its hash
    if (names.length < min) problems.push(`${label} has ${names.length} contribution(s), fewer than ${min}`)
    if (!names.some((n) => policy.trustedContributors.includes(n))) problems.push(`no contributor you trust took part in ${label} (${names.join(', ') || 'none'})`)
    if (policy.provingNode !== undefined && names.length > 0 && names.every((n) => n === policy.provingNode)) problems.push(`${label} was made by the proving node ${policy.provingNode} alone, so it could forge proofs`)
  }
  return problems.length === 0
    ? { check: 'vk', ok: true, message: `The setup's contributors include one you trust in every phase (${[...new Set([...(phase1 ?? []), ...phase2])].join(', ')}).` }
    : { check: 'vk', ok: false, message: `The setup does not meet your policy: ${problems.join('; ')}.` }
}
