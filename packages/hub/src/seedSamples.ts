/**
 * Seeds a hub with sample models (what `verity up` does on a fresh node). Idempotent: each step is
 * skipped when its result already exists, and a run interrupted half-way is finished by the next.
 */
import type { SampleModel } from '@verity/samples'
import type { Hub } from './createHub.ts'
import { VerityError } from '@verity/protocol'

export type SeedSamplesReturnType = {
  /** `owner/name@version` of releases this run published. */
  published: string[]
  /** Releases that were already published (left untouched). */
  skipped: string[]
}

type SeedableSample = Pick<SampleModel, 'repo' | 'release' | 'task' | 'license' | 'tags' | 'description' | 'fileName' | 'bytes'>

/**
 * @example
 * import { createHub, seedSamples } from '@verity/hub'
 * import { sampleModels } from '@verity/samples'
 * const hub = await createHub({ dataDir })
 * const { published } = await seedSamples(hub, sampleModels)
 */
export async function seedSamples(hub: Hub, samples: readonly SeedableSample[]): Promise<SeedSamplesReturnType> {
  const published: string[] = []
  const skipped: string[] = []
  for (const sample of samples) {
    const ref = `${sample.repo}@${sample.release}`
    await ignoreExisting(hub.createRepository({ repo: sample.repo, description: sample.description, task: sample.task, license: sample.license, tags: sample.tags }))
    await ignoreExisting(hub.createRelease({ repo: sample.repo, version: sample.release }))
    const release = (await hub.listReleases(sample.repo)).find((r) => r.version === sample.release)!
    if (release.published) {
      skipped.push(ref)
      continue
    }
    const files = await hub.listFiles({ repo: sample.repo, version: sample.release })
    if (!files.some((f) => f.path === sample.fileName)) {
      await hub.pushFile({ repo: sample.repo, version: sample.release, path: sample.fileName, source: sample.bytes() })
    }
    await hub.publishRelease({ repo: sample.repo, version: sample.release })
    published.push(ref)
  }
  return { published, skipped }
}

async function ignoreExisting(promise: Promise<unknown>): Promise<void> {
  try {
    await promise
  } catch (error) {
    if (!(error instanceof VerityError && error.code === 'ALREADY_EXISTS')) throw error
  }
}
