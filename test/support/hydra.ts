import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

// A Hydra stand-in on loopback. The JSON it serves is shaped as Hydra's own source emits it:
// builds as `Build.as_json` in src/lib/Hydra/Schema/Result/Builds.pm (and the Build schema of
// hydra-api.yaml), evaluations as JobsetEvals' as_json (hydra-api.yaml's JobsetEval), the
// `latest` / `latest-finished` redirects as the Job controller's (src/lib/Hydra/Controller/Job.pm,
// 302 to an absolute /build/ID, or 404 "There is no successful build to redirect to."),
// `/eval/ID/builds` as JobsetEval.pm's all_builds. Error bodies are JSON only when the request
// asked for it with `Accept: application/json`, HTML otherwise, as Catalyst's REST views do.

/** A build as the stand-in keeps it (and serves it, field for field). */
export interface HydraBuildJson {
  id: number
  finished: 0 | 1
  timestamp: number
  starttime: number | null
  stoptime: number | null
  project: string
  jobset: string
  job: string
  nixname: string
  system: string
  priority: number
  buildstatus: number | null
  releasename: string | null
  drvpath: string
  jobsetevals: number[]
  buildoutputs: Record<string, { path: string }>
  buildproducts: Record<string, unknown>
  buildmetrics: Record<string, unknown>
}

export interface BuildSpec {
  job?: string
  /** The `out` output's store path; null for a build without `out`. */
  out: string | null
  /** Other outputs by name. */
  outputs?: Record<string, string>
  finished?: boolean
  /** 0 succeeded, 1 failed …; null while unfinished. */
  buildstatus?: number | null
  /** Put the build into a new evaluation of its own (default) or into these. */
  evals?: number[]
}

/** What the stand-in does instead of answering properly. */
export type HydraFault =
  | 'none'
  /** 500 with Hydra's JSON error body. */
  | 'status500'
  /** 200 with an HTML page (a login page or proxy error in front of Hydra). */
  | 'html'
  /** 200 with a body that is not JSON. */
  | 'garbage'
  /** Accept the request and never answer. */
  | 'hang'

export interface RequestRecord {
  path: string
  accept: string | undefined
  authorization: string | undefined
}

export interface HydraStandIn {
  /** http://127.0.0.N:PORT, no trailing slash. */
  url: string
  project: string
  jobset: string
  /** The job URI of a job: URL/job/PROJECT/JOBSET/JOB. */
  jobUri(job?: string): string
  /** Add a build (and, unless `evals` is given, a new evaluation holding it); returns it. */
  addBuild(spec: BuildSpec): HydraBuildJson
  /** Add an evaluation of these builds; returns its id. */
  addEval(builds: number[]): number
  /** Change a build, e.g. finish it. */
  updateBuild(id: number, change: Partial<Pick<HydraBuildJson, 'finished' | 'buildstatus'>>): void
  fault: HydraFault
  /** When set, every request must carry these Basic credentials (401 otherwise). */
  requireAuth?: { login: string; password: string }
  requests: RequestRecord[]
  /** Resolves once a request to a path ending with `suffix` has been seen `count` times in all. */
  waitForRequest(suffix: string, count?: number): Promise<void>
  close(): Promise<void>
}

const HTML_ERROR = (status: number, message: string) =>
  `<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Error ${status}</h1><p>${message}</p></body></html>`

/** Start a Hydra stand-in for one project and jobset on a loopback address. */
export async function startHydra(
  options: {
    project?: string
    jobset?: string
    job?: string
    host?: string
    /** Serve /eval/ID/builds (newer Hydras); false for an older one without it. */
    evalBuilds?: boolean
  } = {},
): Promise<HydraStandIn> {
  const project = options.project ?? 'infra'
  const jobset = options.jobset ?? 'prod'
  const defaultJob = options.job ?? 'web'
  const builds = new Map<number, HydraBuildJson>()
  const evals = new Map<number, { id: number; timestamp: number; builds: number[] }>()
  const sockets = new Set<Socket>()
  const waiters: { suffix: string; count: number; resolve: () => void }[] = []
  let nextBuild = 1
  let nextEval = 1
  let base = ''
  const now = () => Math.floor(Date.now() / 1000)

  const wantsJson = (req: IncomingMessage) => (req.headers.accept ?? '').includes('application/json')

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

  function error(req: IncomingMessage, res: ServerResponse, status: number, message: string) {
    if (wantsJson(req)) send(res, status, { error: message })
    else {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' })
      res.end(HTML_ERROR(status, message))
    }
  }

  const succeeded = (b: HydraBuildJson) => b.finished === 1 && b.buildstatus === 0

  function latest(job: string, finishedEval: boolean): HydraBuildJson | undefined {
    const candidates = [...builds.values()]
      .filter((b) => b.job === job && succeeded(b))
      .filter(
        (b) =>
          !finishedEval ||
          b.jobsetevals.some((e) => evals.get(e)?.builds.every((id) => builds.get(id)?.finished === 1)),
      )
    return candidates.sort((a, b) => b.id - a.id)[0]
  }

  function evalJson(ev: { id: number; timestamp: number; builds: number[] }) {
    return {
      id: ev.id,
      timestamp: ev.timestamp,
      checkouttime: 1,
      evaltime: 2,
      hasnewbuilds: 1,
      builds: ev.builds,
      jobsetevalinputs: {
        src: {
          type: 'git',
          uri: 'https://git.example.org/infra.git',
          revision: `${ev.id}`.padStart(40, '0'),
          value: null,
          dependency: null,
        },
      },
      flake: null,
    }
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    stand.requests.push({ path, accept: req.headers.accept, authorization: req.headers.authorization })
    for (const w of [...waiters]) {
      if (stand.requests.filter((r) => r.path.endsWith(w.suffix)).length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    }
    if (stand.requireAuth) {
      const expected = `Basic ${Buffer.from(`${stand.requireAuth.login}:${stand.requireAuth.password}`).toString('base64')}`
      if (req.headers.authorization !== expected) return error(req, res, 401, 'Access denied.')
    }
    switch (stand.fault) {
      case 'hang':
        return
      case 'status500':
        return error(req, res, 500, 'Internal Server Error')
      case 'html':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
        return res.end('<!DOCTYPE html><html><body><form action="/login">Sign in</form></body></html>')
      case 'garbage':
        res.writeHead(200, { 'Content-Type': 'application/json' })
        return res.end('{"id": 12, "finished": ')
    }
    let m = /^\/job\/([^/]+)\/([^/]+)\/([^/]+)\/(latest|latest-finished)$/.exec(path)
    if (m) {
      if (m[1] !== project || m[2] !== jobset)
        return error(req, res, 404, `Jobset ${m[1]}:${m[2]} doesn't exist.`)
      const build = latest(m[3]!, m[4] === 'latest-finished')
      if (!build) return error(req, res, 404, 'There is no successful build to redirect to.')
      res.writeHead(302, { Location: `${base}/build/${build.id}` })
      return res.end()
    }
    m = /^\/build\/(\d+)$/.exec(path)
    if (m) {
      const build = builds.get(Number(m[1]))
      return build ? send(res, 200, build) : error(req, res, 404, `Build with ID ${m[1]} doesn't exist.`)
    }
    m = /^\/eval\/(\d+)(\/builds)?$/.exec(path)
    if (m) {
      const ev = evals.get(Number(m[1]))
      if (!ev) return error(req, res, 404, `Evaluation ${m[1]} doesn't exist.`)
      if (m[2] && options.evalBuilds === false) return error(req, res, 404, 'Page not found.')
      return send(res, 200, m[2] ? ev.builds.map((id) => builds.get(id)) : evalJson(ev))
    }
    return error(req, res, 404, 'Page not found.')
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  base = `http://${host}:${(server.address() as AddressInfo).port}`

  const stand: HydraStandIn = {
    url: base,
    project,
    jobset,
    fault: 'none',
    requests: [],
    jobUri: (job = defaultJob) => `${base}/job/${project}/${jobset}/${job}`,
    addEval(ids) {
      const id = nextEval++
      evals.set(id, { id, timestamp: now(), builds: [...ids] })
      for (const buildId of ids) builds.get(buildId)?.jobsetevals.push(id)
      return id
    },
    addBuild(spec) {
      const id = nextBuild++
      const job = spec.job ?? defaultJob
      const finished = spec.finished ?? true
      const outputs: Record<string, { path: string }> = {}
      if (spec.out !== null) outputs.out = { path: spec.out }
      for (const [name, path] of Object.entries(spec.outputs ?? {})) outputs[name] = { path }
      const name = (spec.out ?? Object.values(spec.outputs ?? {})[0] ?? '/nix/store/x-unknown').replace(
        /^.*?-/,
        '',
      )
      const build: HydraBuildJson = {
        id,
        finished: finished ? 1 : 0,
        timestamp: now(),
        starttime: now(),
        stoptime: finished ? now() : null,
        project,
        jobset,
        job,
        nixname: name,
        system: 'x86_64-linux',
        priority: 100,
        buildstatus: finished ? (spec.buildstatus ?? 0) : null,
        releasename: null,
        drvpath: `/nix/store/${'0'.repeat(32)}-${name}.drv`,
        jobsetevals: [],
        buildoutputs: outputs,
        buildproducts: {},
        buildmetrics: {},
      }
      builds.set(id, build)
      if (spec.evals) {
        for (const e of spec.evals) {
          evals.get(e)?.builds.push(id)
          build.jobsetevals.push(e)
        }
      } else {
        stand.addEval([id])
      }
      return build
    },
    updateBuild(id, change) {
      const build = builds.get(id)
      if (!build) throw new Error(`no build ${id}`)
      Object.assign(build, change)
    },
    waitForRequest(suffix, count = 1) {
      if (stand.requests.filter((r) => r.path.endsWith(suffix)).length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ suffix, count, resolve }))
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return stand
}
