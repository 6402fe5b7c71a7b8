import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from './paths.js'
import { ensureRootfs } from './rootfs.js'

const run = promisify(execFile)

/** Podman serving the Docker API on a unix socket of the test's own, for the docker CLI (and Vagrant). */
export interface PodmanService {
  /** `unix://…`: the DOCKER_HOST of the docker CLI. */
  dockerHost: string
  /** Environment for docker, podman and vagrant commands of this test. */
  env: Record<string, string>
  /** Containers created with `--label=forklift.test=<label>` are removed when the service stops. */
  label: string
  /** Names of this test's containers (by its label), running or not. */
  containers(): Promise<string[]>
  /** Remove this test's containers, then end the service. */
  stop(): Promise<void>
}

/** containers.conf for this machine: runc (crun fails on its cgroup layout) and ulimits podman may set. */
const CONTAINERS_CONF = [
  '[containers]',
  'default_ulimits = ["nofile=20000:20000","nproc=32768:32768"]',
  '[engine]',
  'runtime = "runc"',
  '',
].join('\n')

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => req.destroy())
    req.end()
  })
}

/** Start `podman system service` on DIR/docker.sock; stop() ends it and removes the test's containers. */
export async function startPodmanService(dir: string): Promise<PodmanService> {
  const conf = join(dir, 'containers.conf')
  await writeFile(conf, CONTAINERS_CONF)
  const socket = join(dir, 'docker.sock')
  const label = `${process.pid}-${Date.now()}`
  const env = { CONTAINERS_CONF: conf, DOCKER_HOST: `unix://${socket}` }
  // setpriv: the service dies with this process, even when a crash skips stop().
  const argv = ['podman', '--runtime', 'runc', 'system', 'service', '--time=0', `unix://${socket}`]
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...argv], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = once(child, 'exit')

  const containers = async () => {
    const { stdout } = await run(
      'podman',
      ['ps', '-a', '--filter', `label=forklift.test=${label}`, '--format', '{{.Names}}'],
      { env: { ...process.env, ...env } },
    )
    return stdout.split('\n').filter(Boolean)
  }
  const stop = async () => {
    const names = await containers().catch(() => [])
    if (names.length > 0)
      await run('podman', ['rm', '-f', '-t', '0', ...names], { env: { ...process.env, ...env } }).catch(
        () => {},
      )
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
  }

  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`podman system service ended at start: ${stderr.trim()}`)
    if (await ping(socket)) return { dockerHost: env.DOCKER_HOST, env, label, containers, stop }
    await new Promise((r) => setTimeout(r, 100))
  }
  await stop()
  throw new Error(`podman system service did not answer on ${socket}: ${stderr.trim()}`)
}

/** The test node image (the shared root filesystem with sshd as its command), imported once per machine. */
export async function podmanTestImage(): Promise<string> {
  const rootfs = await ensureRootfs()
  const { stdout } = await run('sh', [join(repoRoot, 'scripts', 'test-podman-image.sh'), rootfs], {
    maxBuffer: 1 << 20,
  })
  return stdout.trim().split('\n').pop()!
}
