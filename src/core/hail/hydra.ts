import { UsageError } from '../errors.js'
import { HailError } from './errors.js'
import { getJson, HttpError, type HttpOptions, safeUrl } from './http.js'
import type { NixBuild, Source, SourceResult } from './source.js'

// Shapes as Hydra emits them (NixOS/hydra: hydra-api.yaml; Build.as_json in Schema/Result/Builds.pm;
// the Job controller's `latest` and `latest-finished` redirects; JobsetEval's `/eval/ID/builds`).

interface HydraBuild {
  id: number
  finished: number | boolean
  buildstatus: number | null
  job?: string
  buildoutputs?: Record<string, { path?: string }>
  jobsetevals?: number[]
}

const NO_BUILD = /no successful build/i

/** The job URI without trailing slashes (hail turned `…/job/` into `…/job//latest`). */
export function normalizeJobUri(uri: string): string {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw new UsageError(
      `--job-uri "${uri}": not a URL (expected https://hydra.example.org/job/PROJECT/JOBSET/JOB)`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--job-uri "${uri}": expected an http or https URL`)
  }
  url.pathname = url.pathname.replace(/\/+$/, '')
  url.search = ''
  url.hash = ''
  return url.toString().replace(/\/+$/, '')
}

function isBuild(value: unknown): value is HydraBuild {
  return !!value && typeof value === 'object' && typeof (value as HydraBuild).id === 'number'
}

const succeeded = (b: HydraBuild) => (b.finished === 1 || b.finished === true) && b.buildstatus === 0

/** Read a build's JSON into a candidate, or say precisely what is wrong with it. */
export function buildCandidate(body: unknown, url: string): NixBuild {
  if (!isBuild(body)) throw new HailError('poll', `${safeUrl(url)}: not a Hydra build (no numeric "id")`)
  if (!succeeded(body)) {
    throw new HailError(
      'poll',
      `build ${body.id} is not a finished successful build (finished=${body.finished}, buildstatus=${body.buildstatus})`,
    )
  }
  const outputs = body.buildoutputs ?? {}
  const out = outputs.out?.path
  if (typeof out !== 'string' || !out.startsWith('/')) {
    const names = Object.keys(outputs)
    throw new HailError(
      'poll',
      `build ${body.id} has no "out" output (outputs: ${names.length ? names.join(', ') : 'none'})`,
    )
  }
  const evals = Array.isArray(body.jobsetevals) ? body.jobsetevals.filter((e) => typeof e === 'number') : []
  return { id: String(body.id), storePath: out, evals, url }
}

/** The Hydra base URL, from a `/build/ID` URL Hydra redirected to. */
function baseOf(buildUrl: string, jobUri: string): string {
  const fromBuild = /^(.*)\/build\/\d+\/?$/.exec(new URL(buildUrl).pathname)
  const url = new URL(buildUrl)
  if (fromBuild) return `${url.origin}${fromBuild[1]}`
  const fromJob = /^(.*)\/job\/[^/]+\/[^/]+\/[^/]+$/.exec(new URL(jobUri).pathname)
  return `${new URL(jobUri).origin}${fromJob ? fromJob[1] : ''}`
}

/** A Hydra job as a source of builds. */
export function hydraSource(options: {
  jobUri: string
  requireEvalSuccess: boolean
  http: HttpOptions
}): Source<NixBuild> {
  const jobUri = normalizeJobUri(options.jobUri)
  const endpoint = `${jobUri}/${options.requireEvalSuccess ? 'latest-finished' : 'latest'}`
  // An evaluation whose builds all finished well stays so; failed ones are checked again.
  const goodEvals = new Set<number>()

  async function evalBuilds(base: string, evalId: number, signal?: AbortSignal): Promise<HydraBuild[]> {
    const all = await getJson(`${base}/eval/${evalId}/builds`, options.http, signal).catch((error) => {
      if (error instanceof HttpError && error.status === 404) return undefined
      throw error
    })
    if (all?.status === 200 && Array.isArray(all.body)) return all.body.filter(isBuild)
    // Older Hydras have no /eval/ID/builds: the evaluation lists its build ids.
    const ev = await getJson(`${base}/eval/${evalId}`, options.http, signal)
    const ids = (ev.body as { builds?: unknown }).builds
    if (ev.status !== 200 || !Array.isArray(ids)) {
      throw new HailError('poll', `${safeUrl(ev.url)}: HTTP ${ev.status}, not a Hydra evaluation`)
    }
    const builds: HydraBuild[] = []
    for (const id of ids) {
      const b = await getJson(`${base}/build/${id}`, options.http, signal)
      if (b.status !== 200 || !isBuild(b.body))
        throw new HailError('poll', `${safeUrl(b.url)}: HTTP ${b.status}, not a build`)
      builds.push(b.body)
    }
    return builds
  }

  /** Why none of the build's evaluations succeeded whole, or undefined when one did. */
  async function evalProblem(candidate: NixBuild, signal?: AbortSignal): Promise<string | undefined> {
    const evals = [...candidate.evals].sort((a, b) => b - a).slice(0, 5)
    if (evals.length === 0) return `build ${candidate.id} belongs to no evaluation`
    const base = baseOf(candidate.url, jobUri)
    let first: string | undefined
    for (const evalId of evals) {
      if (goodEvals.has(evalId)) return undefined
      const builds = await evalBuilds(base, evalId, signal)
      const bad = builds.filter((b) => !succeeded(b))
      if (bad.length === 0) {
        goodEvals.add(evalId)
        return undefined
      }
      const names = bad.slice(0, 5).map((b) => `${b.job ?? 'build'} ${b.id}`)
      first ??= `evaluation ${evalId}: ${bad.length} of ${builds.length} jobs did not succeed (${names.join(', ')}${bad.length > 5 ? ', …' : ''})`
    }
    return first
  }

  return {
    description: `hydra ${jobUri}${options.requireEvalSuccess ? ' (whole evaluation must succeed)' : ''}`,
    async poll(signal): Promise<SourceResult<NixBuild>> {
      const response = await getJson(endpoint, options.http, signal)
      if (response.status === 404) {
        const error = (response.body as { error?: unknown })?.error
        const message = typeof error === 'string' ? error : 'not found'
        if (NO_BUILD.test(message)) return { kind: 'none', message }
        throw new HailError('poll', `${safeUrl(endpoint)}: HTTP 404: ${message}`)
      }
      if (response.status !== 200)
        throw new HailError('poll', `${safeUrl(response.url)}: HTTP ${response.status}`)
      const candidate = buildCandidate(response.body, response.url)
      if (options.requireEvalSuccess) {
        const problem = await evalProblem(candidate, signal)
        if (problem) return { kind: 'waiting', candidate, message: problem }
      }
      return { kind: 'build', candidate }
    },
  }
}
