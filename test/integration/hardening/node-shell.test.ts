import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { compilePhaseScript, parsePhaseOutput, prepareActions } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import { FACTS_SCRIPT, parseFacts } from '../../../src/core/facts/index.js'
import type { Facts } from '../../../src/core/model/node.js'
import type { ActionResult } from '../../../src/core/model/results.js'
import { connectSsh } from '../../../src/core/transport/ssh.js'
import type { Connection } from '../../../src/core/transport/types.js'
import {
  claimAddress,
  releaseAddress,
  requireSshd,
  startSshNodes,
  type TestNodes,
} from '../../support/nodes.js'

// The generated shell on a real sshd node, tried as an attacker: nothing secret on any command line
// (/proc/*/cmdline read while long actions run), and no write through a symlink planted at any path
// the scripts could predict.

interface Served {
  url: string
  requests: { url: string; authorization?: string }[]
  close(): Promise<void>
}

/** An HTTP server on a loopback address of its own, answering `body` after `delayMs`. */
async function serve(body: string, delayMs: number): Promise<Served> {
  const address = await claimAddress()
  const requests: Served['requests'] = []
  const server: Server = createServer((request: IncomingMessage, response) => {
    requests.push({
      url: request.url ?? '',
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
    })
    setTimeout(() => response.end(body), delayMs)
  })
  await new Promise<void>((resolve) => server.listen(8080, address, resolve))
  return {
    url: `http://${address}:8080`,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      releaseAddress(address)
    },
  }
}

/** Every process's command line, read from /proc until `until` settles. */
async function watchCommandLines(until: Promise<unknown>): Promise<string[]> {
  const seen = new Set<string>()
  let done = false
  until.finally(() => {
    done = true
  })
  while (!done) {
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      const line = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '')
      if (line) seen.add(line.replaceAll('\0', ' ').trim())
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return [...seen]
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('the generated shell on a real node', () => {
  let lab: TestNodes
  let connection: Connection
  let facts: Facts
  let skip = false

  before(async (t) => {
    if (!requireSshd(t as never)) {
      skip = true
      return
    }
    lab = await startSshNodes(undefined, { count: 1 })
    const node = lab.nodes[0]!
    connection = await connectSsh(
      { name: node.name, host: node.address, port: node.port, user: 'root', identityFile: lab.clientKey },
      {
        sshConfigFile: join(lab.dir, 'no-config'),
        knownHostsFiles: [lab.knownHosts],
        globalKnownHostsFiles: [],
        forkliftKnownHosts: join(lab.dir, 'forklift_known_hosts'),
        acceptNewHostKeys: false,
        agent: false,
        identityFiles: [],
      },
    )
    facts = parseFacts((await connection.run(FACTS_SCRIPT)).stdout)
  })
  after(async () => {
    if (skip) return
    await connection?.close()
    await lab?.stop()
  })

  async function runOnNode(actions: Action[]): Promise<ActionResult[]> {
    const prepared = await prepareActions(actions, { baseDir: tmpdir(), templateData: {} })
    const nonce = `n${randomBytes(8).toString('hex')}`
    const script = compilePhaseScript(prepared, { facts, dryRun: false, nonce })
    const run = await connection.run(script)
    return parsePhaseOutput(run.stdout, run.stderr, run.code, prepared, nonce)
  }

  it('shows no secret on any command line while exec and remote-file run', async (t) => {
    if (skip) return t.skip('no sshd')
    const secret = `S3cr3t${randomBytes(12).toString('hex')}`
    const body = 'downloaded\n'
    const server = await serve(body, 1500)
    t.after(() => server.close())
    const dir = await mkdtemp(join(tmpdir(), 'forklift-cmdline-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const url = `${server.url.replace('http://', `http://fetch:${secret}@`)}/file?token=${secret}`
    const running = runOnNode([
      {
        type: 'exec',
        script: `sleep 1.7; : '${secret}'`,
        unless: `sleep 1.6; test '${secret}' = no`,
        onlyIf: `sleep 1.8; : '${secret}'`,
      },
      { type: 'remote-file', path: join(dir, 'fetched'), url, sha256: sha256(body) },
    ])
    const [lines, results] = await Promise.all([watchCommandLines(running), running])
    assert.deepEqual(
      results.map((r) => r.status),
      ['changed', 'changed'],
      JSON.stringify(results),
    )
    assert.equal(await readFile(join(dir, 'fetched'), 'utf8'), body)
    // The download carried the credentials and the query, though no command line did.
    assert.deepEqual(server.requests, [
      {
        url: `/file?token=${secret}`,
        authorization: `Basic ${Buffer.from(`fetch:${secret}`).toString('base64')}`,
      },
    ])
    // The watch saw each guard, the script and curl while they ran...
    for (const seen of ['sleep 1.6', 'sleep 1.7', 'sleep 1.8', 'curl'])
      assert.ok(
        lines.some((l) => l.includes(seen)),
        `${seen} not seen among ${lines.length} command lines`,
      )
    // ...and no command line held the secret.
    const leaks = lines.filter((l) => l.includes(secret))
    assert.deepEqual(leaks, [])
  })

  it('never writes through a symlink planted at a path the scripts could predict', async (t) => {
    if (skip) return t.skip('no sshd')
    const dir = await mkdtemp(join(tmpdir(), 'forklift-planted-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const shared = join(dir, 'shared')
    await mkdir(shared)
    await chmod(shared, 0o777)
    const victim = join(dir, 'victim')
    await writeFile(victim, 'untouched\n')
    // The old scripts wrote to FOLDER/.forklift.$$.tmp; on this node $$ is a small number (its own PID
    // namespace): every one up to 5000 is planted, pointing at the victim.
    const planted = Array.from({ length: 5000 }, (_, i) => join(shared, `.forklift.${i + 1}.tmp`))
    await Promise.all(planted.map((path) => symlink(victim, path)))
    for (const name of ['motd', 'hosts']) await writeFile(join(shared, name), `old ${name}\n`)
    await symlink(victim, join(shared, 'motd.forklift-backup'))
    const body = 'served\n'
    const server = await serve(body, 0)
    t.after(() => server.close())

    const results = await runOnNode([
      { type: 'file', path: join(shared, 'new'), content: 'new\n' },
      { type: 'remote-file', path: join(shared, 'motd'), content: 'new motd\n' },
      { type: 'remote-file', path: join(shared, 'fetched'), url: `${server.url}/f`, sha256: sha256(body) },
      { type: 'line', path: join(shared, 'hosts'), line: '127.0.0.1 added' },
    ])
    assert.deepEqual(
      results.map((r) => r.status),
      ['changed', 'changed', 'changed', 'changed'],
      JSON.stringify(results),
    )
    assert.equal(await readFile(victim, 'utf8'), 'untouched\n', 'nothing was written through a symlink')
    assert.equal(await readFile(join(shared, 'new'), 'utf8'), 'new\n')
    assert.equal(await readFile(join(shared, 'motd'), 'utf8'), 'new motd\n')
    assert.equal(await readFile(join(shared, 'fetched'), 'utf8'), body)
    assert.equal(await readFile(join(shared, 'hosts'), 'utf8'), 'old hosts\n127.0.0.1 added\n')
    // The backup replaced the planted link instead of writing through it.
    assert.ok(!(await lstat(join(shared, 'motd.forklift-backup'))).isSymbolicLink())
    assert.equal(await readFile(join(shared, 'motd.forklift-backup'), 'utf8'), 'old motd\n')
    for (const path of planted) assert.equal(await readlink(path), victim)
    // No temp file was left behind.
    const left = (await readdir(shared)).filter(
      (n) => n.startsWith('.forklift.') && !/^\.forklift\.\d+\.tmp$/.test(n),
    )
    assert.deepEqual(left, [])
  })
})
