import { z } from 'zod'
import { HailError } from './errors.js'
import { getJson, type HttpOptions, safeUrl } from './http.js'
import type { ArtifactBuild, Source } from './source.js'

/** The JSON a `--source manifest` URL serves: which build is current and where its tarball is. */
export const manifestSchema = z.object({
  id: z.union([z.string().regex(/^[A-Za-z0-9._+-]{1,100}$/), z.number().int().nonnegative()]),
  /** The tar.gz artifact, absolute or relative to the manifest's URL. */
  url: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits'),
})

/** A plain JSON manifest as a source of builds, for machines without Nix. */
export function manifestSource(options: { url: string; http: HttpOptions }): Source<ArtifactBuild> {
  return {
    description: `manifest ${safeUrl(options.url)}`,
    async poll(signal) {
      const response = await getJson(options.url, options.http, signal)
      if (response.status !== 200)
        throw new HailError('poll', `${safeUrl(response.url)}: HTTP ${response.status}`)
      const parsed = manifestSchema.safeParse(response.body)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        const key = issue.path.join('.') || '(top level)'
        throw new HailError('poll', `manifest ${safeUrl(response.url)}: key "${key}": ${issue.message}`)
      }
      const artifact = new URL(parsed.data.url, response.url)
      if (artifact.protocol !== 'http:' && artifact.protocol !== 'https:') {
        throw new HailError(
          'poll',
          `manifest ${safeUrl(response.url)}: key "url": expected an http or https URL`,
        )
      }
      return {
        kind: 'build',
        candidate: {
          id: String(parsed.data.id),
          artifact: { url: artifact.toString(), sha256: parsed.data.sha256.toLowerCase() },
          url: response.url,
        },
      }
    },
  }
}
