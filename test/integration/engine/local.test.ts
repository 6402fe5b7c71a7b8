import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunResult } from '../../../src/core/model/results.js'
import { jsonError, runCli } from '../../support/cli.js'

// The engine end to end through the real CLI, with the local provider's folder nodes: no root, no SSH.

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  )

/** Wait until `path` exists, or `tries` × 50 ms have passed; whether it exists. */
async function waitForFile(path: string, tries = 200): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await exists(path)) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return exists(path)
}

/** Run the CLI in `dir` and send it one SIGINT once `file` exists there (then `settleMs` later), or after `tries` × 50 ms. */
async function interruptOnce(args: string[], dir: string, file: string, settleMs = 0, tries = 200) {
  let pid = 0
  const running = runCli(args, {
    cwd: dir,
    onSpawn: (p) => {
      pid = p
    },
  })
  await waitForFile(join(dir, file), tries)
  if (settleMs) await new Promise((r) => setTimeout(r, settleMs))
  process.kill(pid, 'SIGINT')
  return running
}

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'forklift-engine-'))
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), content)
  }
  return dir
}

const json = (stdout: string) => JSON.parse(stdout) as RunResult

describe('converge and lift with the local provider', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-init-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('init writes the starter project and refuses to overwrite it', async () => {
    const first = await runCli(['init', dir])
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stdout, /wrote forklift\.yaml/)
    assert.ok(await exists(join(dir, 'crates/motd/index.js')))
    assert.ok(await exists(join(dir, '.gitignore')))
    // The schema the starter forklift.yaml names for editors is there, and is forklift schema's own.
    assert.match(await readFile(join(dir, 'forklift.yaml'), 'utf8'), /\$schema=forklift\.schema\.json/)
    const schema = await runCli(['schema'])
    assert.equal(schema.code, 0, schema.stderr)
    assert.deepEqual(
      JSON.parse(await readFile(join(dir, 'forklift.schema.json'), 'utf8')),
      JSON.parse(schema.stdout),
    )
    const again = await runCli(['init', dir])
    assert.equal(again.code, 2)
    assert.match(again.stderr, /would overwrite .*forklift\.yaml.*nothing was written/)
  })

  it('converge creates the nodes, bootstraps them once and configures them', async () => {
    const result = await runCli(['converge', '--json'], { cwd: dir })
    assert.equal(result.code, 0, result.stderr)
    const report = json(result.stdout)
    assert.equal(report.command, 'converge')
    assert.equal(report.ok, true)
    const web = report.groups[0]!
    assert.deepEqual(web.created.sort(), ['web-1', 'web-2'])
    assert.deepEqual(
      web.nodes.map((n) => n.status),
      ['changed', 'changed'],
    )
    const phases = web.phases.map((p) => `${p.node}:${p.phase}:${p.status}`).sort()
    assert.deepEqual(phases, [
      'web-1:bootstrap:changed',
      'web-1:configure:changed',
      'web-1:settings:ok',
      'web-2:bootstrap:changed',
      'web-2:configure:changed',
      'web-2:settings:ok',
    ])
    for (const node of web.nodes) {
      assert.ok(Number.isInteger(node.durationMs) && node.durationMs >= 0, node.name)
    }
    for (const phase of web.phases) {
      for (const action of phase.actions) {
        assert.ok(Number.isInteger(action.durationMs) && action.durationMs! >= 0, action.summary)
      }
    }
    const node1 = join(dir, '.forklift/nodes/web-1')
    assert.equal(await readFile(join(node1, 'etc/motd'), 'utf8'), 'Welcome to web-1: served by forklift\n')
    // Data published in the settings phase by every node reached the configure phase of each.
    assert.equal(await readFile(join(node1, 'etc/peers'), 'utf8'), 'web-1\nweb-2\n')
    assert.ok(await exists(join(node1, '.forklift/bootstrapped')))
  })

  it('a second converge changes nothing and does not bootstrap again', async () => {
    const result = await runCli(['converge', '--json'], { cwd: dir })
    assert.equal(result.code, 0, result.stderr)
    const web = json(result.stdout).groups[0]!
    assert.deepEqual(web.created, [])
    assert.deepEqual(
      web.nodes.map((n) => n.status),
      ['ok', 'ok'],
    )
    assert.equal(web.phases.filter((p) => p.phase === 'bootstrap').length, 0)
    for (const phase of web.phases) for (const action of phase.actions) assert.equal(action.status, 'ok')
  })

  it('lift --phase bootstrap bootstraps only the nodes whose marker is missing', async () => {
    const marker = join(dir, '.forklift/nodes/web-2/.forklift/bootstrapped')
    await rm(marker)
    const result = await runCli(['lift', '--phase', 'bootstrap', '--json'], { cwd: dir })
    assert.equal(result.code, 0, result.stderr)
    const web = json(result.stdout).groups[0]!
    assert.deepEqual(
      web.phases.map((p) => `${p.node}:${p.phase}:${p.status}`),
      ['web-2:bootstrap:changed', 'web-1:settings:ok', 'web-2:settings:ok'],
    )
    assert.ok(await exists(marker))
  })

  it('lift --phase bootstrap on nodes all bootstrapped says so instead of nothing', async () => {
    const result = await runCli(['lift', '--phase', 'bootstrap'], { cwd: dir })
    assert.equal(result.code, 0, result.stderr)
    assert.match(
      result.stdout,
      /bootstrap: web-1, web-2 are bootstrapped already \(the marker is on the node\): nothing to run/,
    )
    assert.doesNotMatch(result.stdout, /bootstrap (changed|ok)/)
  })

  it('--dry-run reports a change with a diff and changes nothing', async () => {
    const motd = join(dir, '.forklift/nodes/web-1/etc/motd')
    await writeFile(motd, 'edited by hand\n')
    const result = await runCli(['lift', '--dry-run', '--json'], { cwd: dir })
    assert.equal(result.code, 0, result.stderr)
    const report = json(result.stdout)
    assert.equal(report.dryRun, true)
    const file = report.groups[0]!.phases.find(
      (p) => p.node === 'web-1' && p.phase === 'configure',
    )!.actions.find((a) => a.summary.includes('etc/motd'))!
    assert.equal(file.status, 'changed')
    assert.match(file.diff ?? '', /-edited by hand\n\+Welcome to web-1: served by forklift/)
    assert.equal(await readFile(motd, 'utf8'), 'edited by hand\n')
  })

  it('lift puts it back; plain output names every node', async () => {
    const result = await runCli(['lift'], { cwd: dir })
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /web-1 +configure changed \(1 changed, 3 ok\)/)
    assert.match(result.stdout, /web-2 +configure ok \(4 ok\)/)
    assert.match(result.stdout, /lift done in/)
  })

  it('--count scales down, destroying the newest node', async () => {
    const result = await runCli(['converge', '--count', 'web=1', '--json'], { cwd: dir })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(json(result.stdout).groups[0]!.destroyed, ['web-2'])
    assert.equal(await exists(join(dir, '.forklift/nodes/web-2')), false)
    assert.ok(await exists(join(dir, '.forklift/nodes/web-1')))
  })

  it('forklift nodes lists the nodes', async () => {
    const result = await runCli(['nodes', '--json'], { cwd: dir })
    assert.equal(result.code, 0, result.stderr)
    const listing = JSON.parse(result.stdout)
    assert.equal(listing[0].group, 'web')
    assert.deepEqual(
      listing[0].nodes.map((n: { name: string }) => n.name),
      ['web-1'],
    )
    const table = await runCli(['nodes'], { cwd: dir })
    assert.match(table.stdout, /^GROUP +NAME +ADDRESS +STATE +PROVIDER/m)
    assert.match(table.stdout, /^web +web-1 +localhost +running +sandbox/m)
  })

  it('unknown group and bad flags are usage errors (exit 2, one line)', async () => {
    const unknown = await runCli(['lift', 'db'], { cwd: dir })
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /no group "db" in .*forklift\.yaml; groups: web/)
    assert.doesNotMatch(unknown.stderr, /\n\s+at /)
    const batch = await runCli(['lift', '--batch', '0'], { cwd: dir })
    assert.equal(batch.code, 2)
    assert.match(batch.stderr, /--batch 0: expected N or N%/)
    const count = await runCli(['converge', '--count', 'web'], { cwd: dir })
    assert.equal(count.code, 2)
    assert.match(count.stderr, /--count web: expected GROUP=N/)
  })

  it('a phase nothing defines is a usage error naming it and the known phases; nothing runs', async () => {
    const typo = await runCli(['lift', '--phase', 'configrue', '--json'], { cwd: dir })
    assert.equal(typo.code, 2)
    assert.match(
      typo.stderr,
      /unknown phase "configrue" \(did you mean "configure"\?\): no group or crate of web defines it; phases: bootstrap, settings, configure\n/,
    )
    assert.equal(jsonError(typo).code, 'USAGE')
    const other = await runCli(['converge', 'web', '--phase', 'deploy', '--phase', 'configure'], { cwd: dir })
    assert.equal(other.code, 2)
    assert.match(other.stderr, /unknown phase "deploy": no group or crate of web defines it/)
    assert.doesNotMatch(other.stdout, /converge/)
  })
})

const failingProject = {
  'forklift.yaml': `
providers:
  box: { type: local, settings: { root: nodes } }
environment:
  token: !secret s3cr3t-t0ken
groups:
  app:
    provider: box
    count: 4
    crates: [flaky]
`,
  'crates/flaky/index.js': `
export default {
  phases: {
    configure(ctx) {
      const root = ctx.node.root
      const fail = (ctx.env.get('fail', '') + '').split(',').includes(ctx.node.name)
      return [
        { type: 'file', path: root + '/token', content: 'token=' + ctx.env.get('token') + '\\n' },
        { type: 'exec', script: fail ? 'echo broken >&2; exit 3' : 'true' },
        { type: 'file', path: root + '/after', content: 'ran\\n' },
      ]
    },
  },
}
`,
}

describe('failures, rolling batches and secrets', () => {
  let dir: string
  before(async () => {
    dir = await project(failingProject)
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('a failing node is reported with its action, exit status and stderr; the others finish', async () => {
    const result = await runCli(['converge', '--json', '--set', 'fail=app-2'], { cwd: dir })
    assert.equal(result.code, 1)
    const group = json(result.stdout).groups[0]!
    const byName = Object.fromEntries(group.nodes.map((n) => [n.name, n]))
    assert.equal(byName['app-2']!.status, 'failed')
    assert.equal(byName['app-2']!.failedPhase, 'configure')
    for (const name of ['app-1', 'app-3', 'app-4']) assert.equal(byName[name]!.status, 'changed')
    const failed = group.phases.find((p) => p.node === 'app-2' && p.phase === 'configure')!
    assert.equal(failed.error?.exitCode, 3)
    assert.match(failed.error?.stderr ?? '', /broken/)
    assert.deepEqual(
      failed.actions.map((a) => a.status),
      ['changed', 'failed', 'skipped'],
    )
    assert.equal(await exists(join(dir, 'nodes/app-2/after')), false)
    assert.ok(await exists(join(dir, 'nodes/app-3/after')))
  })

  it('secrets never appear in output; *** stands in their place', async () => {
    const result = await runCli(['lift', '--json', '--set', 'token=other'], { cwd: dir })
    assert.doesNotMatch(result.stdout + result.stderr, /s3cr3t-t0ken/)
    const plain = await runCli(['lift', '--dry-run', '--verbose'], { cwd: dir })
    assert.doesNotMatch(plain.stdout + plain.stderr, /s3cr3t-t0ken/)
    assert.match(plain.stdout, /the file holds a secret: its diff is not shown/)
  })

  it('--batch 1 --max-fail 0 stops the rolling run at the first failed node', async () => {
    const result = await runCli(
      ['lift', '--json', '--batch', '1', '--max-fail', '0', '--set', 'fail=app-1,app-2,app-3,app-4'],
      {
        cwd: dir,
      },
    )
    assert.equal(result.code, 1)
    const report = json(result.stdout)
    assert.equal(report.stopped, 'max-fail')
    assert.equal(report.interrupted, false)
    const group = report.groups[0]!
    const configured = group.phases.filter((p) => p.phase === 'configure')
    assert.equal(configured.length, 1, 'only the first batch ran')
    assert.equal(configured[0]!.status, 'failed')
    assert.deepEqual(
      group.nodes.map((n) => [n.name, n.status, n.skipped]),
      [
        ['app-1', 'failed', undefined],
        ['app-2', 'skipped', { reason: 'max-fail', phases: ['configure'] }],
        ['app-3', 'skipped', { reason: 'max-fail', phases: ['configure'] }],
        ['app-4', 'skipped', { reason: 'max-fail', phases: ['configure'] }],
      ],
    )
  })

  it('--max-fail 30 lets one failure in four pass, stops at the second, and exits 1', async () => {
    const args = ['lift', '--batch', '1', '--max-fail', '30', '--set', 'fail=app-1,app-2,app-3']
    const result = await runCli([...args, '--json'], { cwd: dir })
    assert.equal(result.code, 1)
    const report = json(result.stdout)
    assert.equal(report.ok, false)
    assert.equal(report.stopped, 'max-fail')
    assert.deepEqual(
      report.groups[0]!.nodes.map((n) => `${n.name}:${n.status}:${n.skipped?.reason ?? ''}`),
      ['app-1:failed:', 'app-2:failed:', 'app-3:skipped:max-fail', 'app-4:skipped:max-fail'],
    )
    const plain = await runCli(args, { cwd: dir })
    assert.equal(plain.code, 1)
    assert.match(
      plain.stdout,
      /max-fail reached: 2 of 4 node\(s\) failed, more than 30%; starting nothing new/,
    )
    assert.match(plain.stdout, /lift stopped at --max-fail in/)
    assert.match(plain.stdout, /app: 4 node\(s\), 2 failed, 2 skipped \(max-fail reached\)/)
  })

  it('a group that fails before its nodes start reports them skipped; converge makes and removes none', async () => {
    const broken = (await readFile(join(dir, 'forklift.yaml'), 'utf8')).replace(
      '    count: 4\n',
      '    count: 4\n    login: { user: admin, identity-file: keys/missing }\n',
    )
    await writeFile(join(dir, 'broken.yaml'), broken)
    const result = await runCli(['lift', '-c', 'broken.yaml', '--json'], { cwd: dir })
    assert.equal(result.code, 1)
    const group = json(result.stdout).groups[0]!
    assert.match(group.error ?? '', /no public key for the admin user admin: no .*keys\/missing\.pub/)
    assert.deepEqual(group.phases, [])
    for (const node of group.nodes) {
      assert.equal(node.status, 'skipped')
      assert.deepEqual(node.skipped, { reason: 'group-error', phases: ['connect', 'settings', 'configure'] })
    }

    // A converge that would add nodes reads the key first: nothing is created or destroyed.
    const before = (await readdir(join(dir, 'nodes'))).sort()
    for (const count of ['app=6', 'app=2']) {
      const converge = await runCli(['converge', '-c', 'broken.yaml', '--count', count, '--json'], {
        cwd: dir,
      })
      assert.equal(converge.code, 1)
      const failed = json(converge.stdout).groups[0]!
      assert.match(
        failed.error ?? '',
        /groups\.app\.login\.identity-file: no public key for the admin user admin: no .*keys\/missing\.pub/,
      )
      assert.deepEqual([failed.created, failed.destroyed], [[], []])
      assert.deepEqual((await readdir(join(dir, 'nodes'))).sort(), before)
    }
  })

  it('a group without login.user needs no .pub beside its identity file (a bare .pem)', async () => {
    // Only creating the admin needs a public key; folder nodes log in with none at all.
    await writeFile(join(dir, 'cloud.pem'), 'not even a key: it is never read\n')
    const bare = (await readFile(join(dir, 'forklift.yaml'), 'utf8')).replace(
      '    count: 4\n',
      '    count: 4\n    login: { identity-file: cloud.pem }\n',
    )
    await writeFile(join(dir, 'bare.yaml'), bare)
    const result = await runCli(['lift', '-c', 'bare.yaml', '--json'], { cwd: dir })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(json(result.stdout).groups[0]!.error, undefined)
  })

  it('--batch 50% runs two batches of two', async () => {
    const result = await runCli(['lift', '--batch', '50%', '--concurrency', '4'], { cwd: dir })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal((result.stdout.match(/configure (ok|changed)/g) ?? []).length, 4)
  })

  it('converge --phase deploy runs settings, configure and deploy on every node', async () => {
    const dir = await project({
      'forklift.yaml': `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  app:
    provider: box
    count: 2
    phases:
      configure:
        - { type: exec, script: "echo configured > configured", creates: configured }
      deploy:
        - { type: exec, script: "echo deployed > deployed", creates: deployed }
`,
    })
    try {
      const result = await runCli(['converge', '--phase', 'deploy', '--json'], { cwd: dir })
      assert.equal(result.code, 0, result.stdout + result.stderr)
      const app = json(result.stdout).groups[0]!
      for (const node of ['app-1', 'app-2']) {
        assert.deepEqual(
          app.phases.filter((p) => p.node === node).map((p) => `${p.phase}:${p.status}`),
          ['bootstrap:changed', 'settings:ok', 'configure:changed', 'deploy:changed'],
        )
        assert.ok(await exists(join(dir, 'nodes', node, 'configured')))
        assert.ok(await exists(join(dir, 'nodes', node, 'deployed')))
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('Ctrl-C lets running scripts finish, starts nothing new, and still prints the summary', async () => {
    const slow = await project({
      'forklift.yaml': `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  slow:
    provider: box
    count: 1
    phases:
      configure:
        - { type: exec, script: "sleep 1.5; echo slept > slept" }
      deploy:
        - { type: exec, script: "echo deployed > deployed" }
`,
    })
    try {
      // Interrupt while configure's script sleeps.
      const result = await interruptOnce(
        ['converge', '--phase', 'deploy'],
        slow,
        'nodes/slow-1/.forklift/bootstrapped',
        300,
        100,
      )
      assert.equal(result.code, 1)
      assert.match(result.stdout, /interrupted: finishing running scripts/)
      assert.match(result.stdout, /converge interrupted in/)
      assert.match(result.stdout, /slow: 1 node\(s\), 1 skipped \(interrupted\)/)
      assert.ok(await exists(join(slow, 'nodes/slow-1/slept')), 'the running script finished')
      assert.equal(await exists(join(slow, 'nodes/slow-1/deployed')), false, 'no new phase started')
    } finally {
      await rm(slow, { recursive: true, force: true })
    }
  })

  it('Ctrl-C in the first of rolling batches reports every node that did not finish as skipped', async () => {
    const slow = await project({
      'forklift.yaml': `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  slow:
    provider: box
    count: 3
    phases:
      configure:
        - { type: exec, script: "touch started; sleep 1.5; echo slept > slept" }
      deploy:
        - { type: exec, script: "echo deployed > deployed" }
`,
    })
    try {
      // Interrupt while the first batch's configure script sleeps.
      const result = await interruptOnce(
        ['converge', '--batch', '1', '--phase', 'deploy', '--json'],
        slow,
        'nodes/slow-1/started',
      )
      assert.equal(result.code, 1)
      const report = json(result.stdout)
      assert.equal(report.interrupted, true)
      assert.equal(report.stopped, 'interrupted')
      const group = report.groups[0]!
      assert.deepEqual(
        group.nodes.map((n) => [n.name, n.status, n.skipped]),
        [
          ['slow-1', 'skipped', { reason: 'interrupted', phases: ['deploy'] }],
          ['slow-2', 'skipped', { reason: 'interrupted', phases: ['configure', 'deploy'] }],
          ['slow-3', 'skipped', { reason: 'interrupted', phases: ['configure', 'deploy'] }],
        ],
      )
      assert.deepEqual(
        group.phases.filter((p) => p.phase === 'configure').map((p) => `${p.node}:${p.status}`),
        ['slow-1:changed'],
      )
      assert.ok(await exists(join(slow, 'nodes/slow-1/slept')), 'the running script finished')
      assert.equal(await exists(join(slow, 'nodes/slow-2/started')), false, 'no new node started')
    } finally {
      await rm(slow, { recursive: true, force: true })
    }
  })
})

describe('settings published across groups; --consider', () => {
  let dir: string
  before(async () => {
    dir = await project({
      'forklift.yaml': `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  db:
    provider: box
    count: 1
    crates: [{ name: db, settings: { port: 5432 } }]
  web:
    provider: box
    count: 2
    crates: [web]
`,
      'crates/db/index.js': `
export default {
  phases: {
    settings(ctx) { ctx.publish('postgres', { host: ctx.node.name, port: ctx.settings.port }); return [] },
    configure(ctx) { return [{ type: 'file', path: ctx.node.root + '/configured', content: 'db\\n' }] },
  },
}
`,
      'crates/web/index.js': `
export default {
  phases: {
    configure(ctx) {
      const db = ctx.settingsOf('db', 'postgres').map((d) => d.host + ':' + d.port).join(',')
      return [{ type: 'file', path: ctx.node.root + '/database', content: 'db=' + db + '\\n' }]
    },
  },
}
`,
    })
    const created = await runCli(['converge'], { cwd: dir })
    assert.equal(created.code, 0, created.stdout + created.stderr)
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('a web node reads what the db group published', async () => {
    await rm(join(dir, 'nodes/web-1/database'))
    const result = await runCli(['lift'], { cwd: dir })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(await readFile(join(dir, 'nodes/web-1/database'), 'utf8'), 'db=db-1:5432\n')
  })

  it('--consider runs only the settings phase of the considered group', async () => {
    await rm(join(dir, 'nodes/db-1/configured'))
    await rm(join(dir, 'nodes/web-2/database'))
    const result = await runCli(['lift', 'web', '--consider', 'db', '--json'], { cwd: dir })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(await readFile(join(dir, 'nodes/web-2/database'), 'utf8'), 'db=db-1:5432\n')
    assert.equal(await exists(join(dir, 'nodes/db-1/configured')), false)
    const report = json(result.stdout)
    const db = report.groups.find((g) => g.name === 'db')!
    assert.deepEqual(
      db.phases.map((p) => p.phase),
      ['settings'],
    )
  })

  it('a lift of web alone, without --consider, sees no db data', async () => {
    const result = await runCli(['lift', 'web'], { cwd: dir })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(await readFile(join(dir, 'nodes/web-1/database'), 'utf8'), 'db=\n')
  })
})

describe('a crate written with the action builders', () => {
  let dir: string
  before(async () => {
    dir = await project({
      'forklift.yaml': `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: box
    count: 1
    crates: [built]
`,
      // ctx.actions and the package's own export are the same builders, inside the pod too.
      'crates/built/index.js': `
import { actions, defineCrate } from 'forklift'

export default defineCrate({
  phases: {
    configure(ctx) {
      const root = ctx.node.root
      const a = ctx.actions
      return [
        a.directory(root + '/etc', { mode: '0755' }),
        a.file(root + '/etc/motd', { content: 'hello ' + ctx.node.name + '\\n', mode: '0644' }),
        actions.symlink(root + '/motd', { target: root + '/etc/motd' }),
        a.line(root + '/etc/hosts', { line: '10.0.0.5 db.internal', match: 'db\\\\.internal$' }),
        a.remoteFile(root + '/etc/greeting', { template: 'hi {{node.name}}\\n' }),
        a.exec('echo ran >> ran', { creates: root + '/ran' }),
      ]
    },
  },
})
`,
    })
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('converges, then changes nothing the second time', async () => {
    const first = await runCli(['converge', '--json'], { cwd: dir })
    assert.equal(first.code, 0, first.stdout + first.stderr)
    const configure = json(first.stdout).groups[0]!.phases.find((p) => p.phase === 'configure')!
    assert.deepEqual(
      configure.actions.map((a) => `${a.type}:${a.status}`),
      [
        'directory:changed',
        'file:changed',
        'symlink:changed',
        'line:changed',
        'remote-file:changed',
        'exec:changed',
      ],
    )
    const node = join(dir, 'nodes/web-1')
    assert.equal(await readFile(join(node, 'motd'), 'utf8'), 'hello web-1\n')
    assert.equal(await readFile(join(node, 'etc/hosts'), 'utf8'), '10.0.0.5 db.internal\n')
    assert.equal(await readFile(join(node, 'etc/greeting'), 'utf8'), 'hi web-1\n')
    assert.equal(await readFile(join(node, 'ran'), 'utf8'), 'ran\n')
    const second = await runCli(['converge', '--json'], { cwd: dir })
    assert.equal(second.code, 0, second.stdout + second.stderr)
    const again = json(second.stdout).groups[0]!.phases.find((p) => p.phase === 'configure')!
    assert.deepEqual(new Set(again.actions.map((a) => a.status)), new Set(['ok']))
  })
})

describe('folder nodes keep every action inside their folder', () => {
  let dir: string
  let outside: string
  const proxyFile = '/etc/apt/apt.conf.d/01forklift-proxy'
  const hostsBefore = readFile('/etc/hosts', 'utf8').catch(() => null)
  const proxyBefore = exists(proxyFile)
  before(async () => {
    // A folder of the real machine that a crate names by its absolute path.
    outside = await mkdtemp(join(tmpdir(), 'forklift-outside-'))
    dir = await project({
      'forklift.yaml': `
providers:
  box: { type: local, settings: { root: nodes } }
environment:
  bootstrap: { package-proxy: "http://proxy.invalid:3142" }
groups:
  web:
    provider: box
    count: 1
    crates: [plain]
  pkg:
    provider: box
    count: 1
    phases:
      configure:
        - { type: file, path: /etc/before, content: "x" }
        - { type: package, name: nginx }
`,
      'files/config': 'listen 8080\n',
      // Paths as on a real machine: no ctx.node.root anywhere.
      'crates/plain/index.js': `
export default {
  phases: {
    configure(ctx) {
      const a = ctx.actions
      return [
        // A folder node starts empty: the folder that exists on this machine is made in it.
        a.directory(ctx.env.get('outside')),
        a.file(ctx.env.get('outside') + '/escaped', { content: 'inside\\n' }),
        a.line('/etc/hosts', { line: '10.0.0.5 db.internal' }),
        a.directory('/etc/nginx/sites-available'),
        a.directory('/etc/nginx/sites-enabled'),
        a.file('/etc/nginx/sites-available/app', { content: 'server {}\\n' }),
        a.symlink('/etc/nginx/sites-enabled/app', { target: '/etc/nginx/sites-available/app' }),
        a.symlink('/etc/nginx/app.conf', { target: 'sites-available/app' }),
        a.directory('/srv/app'),
        a.remoteFile('/srv/app/config', { localFile: 'files/config' }),
        a.exec('pwd > where', { cwd: '/srv/app', creates: '/srv/app/where' }),
      ]
    },
  },
}
`,
    })
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
    await rm(outside, { recursive: true, force: true })
  })

  it('absolute paths land inside the node folder and nothing outside changes', async () => {
    const result = await runCli(['converge', 'web', '--json', '--set', `outside=${outside}`], { cwd: dir })
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const node = join(dir, 'nodes/web-1')
    assert.deepEqual(await readdir(outside), [])
    assert.equal(await readFile(join(node, outside, 'escaped'), 'utf8'), 'inside\n')
    assert.equal(await readFile('/etc/hosts', 'utf8').catch(() => null), await hostsBefore)
    assert.equal(await readFile(join(node, 'etc/hosts'), 'utf8'), '10.0.0.5 db.internal\n')
    // bootstrap's package proxy is a file of the node, not of this machine's apt.
    assert.equal(await exists(proxyFile), await proxyBefore)
    assert.equal(
      await readFile(join(node, proxyFile), 'utf8'),
      'Acquire::http::Proxy "http://proxy.invalid:3142";\n',
    )
    // An absolute symlink target points inside the folder too; a relative one is kept.
    const enabled = join(node, 'etc/nginx/sites-enabled/app')
    assert.equal(await readlink(enabled), join(node, 'etc/nginx/sites-available/app'))
    assert.equal(await readFile(enabled, 'utf8'), 'server {}\n')
    assert.equal(await readlink(join(node, 'etc/nginx/app.conf')), 'sites-available/app')
    // localFile is read from the project, the file it makes is the node's.
    assert.equal(await readFile(join(node, 'srv/app/config'), 'utf8'), 'listen 8080\n')
    assert.equal(await readFile(join(node, 'srv/app/where'), 'utf8'), `${join(node, 'srv/app')}\n`)

    const again = await runCli(['lift', 'web', '--json', '--set', `outside=${outside}`], { cwd: dir })
    assert.equal(again.code, 0, again.stdout + again.stderr)
    const statuses = json(again.stdout).groups[0]!.phases.flatMap((p) => p.actions.map((a) => a.status))
    assert.deepEqual(new Set(statuses), new Set(['ok']))
  })

  it('an action on the machine itself is refused on a folder node, and nothing of its phase runs', async () => {
    const result = await runCli(['converge', 'pkg', '--json'], { cwd: dir })
    assert.equal(result.code, 1)
    const group = json(result.stdout).groups[0]!
    const configure = group.phases.find((p) => p.phase === 'configure')!
    const node = join(dir, 'nodes/pkg-1')
    assert.equal(
      configure.error?.message,
      `groups.pkg.phases.configure: action 1 (package nginx): node pkg-1 is the folder ${node}, and a package action would change this machine itself; folder nodes take only exec, file, directory, symlink, remote-file and line actions`,
    )
    assert.deepEqual(configure.actions, [])
    assert.equal(await exists(join(node, 'etc/before')), false)
  })
})

describe('one converge of a project at a time', () => {
  it('a second converge is refused while one runs; a dry run is not; the lock goes with the run', async () => {
    // Configure holds while the project's `hold` file exists (the node's own folder has no say).
    const dir = await project({ hold: '' })
    await writeFile(
      join(dir, 'forklift.yaml'),
      `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  app:
    provider: box
    count: 1
    phases:
      configure:
        - { type: exec, script: 'touch "$FORKLIFT_ROOT/started"; i=0; while [ -e "${join(dir, 'hold')}" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done' }
`,
    )
    try {
      const first = runCli(['converge', '--json'], { cwd: dir })
      assert.ok(
        await waitForFile(join(dir, 'nodes/app-1/started'), 400),
        'the first converge reached configure',
      )

      const second = await runCli(['converge', '--count', 'app=2'], { cwd: dir })
      assert.equal(second.code, 1)
      assert.equal(
        second.stderr.trim(),
        `Error: another converge of this project is running (lock ${join(dir, '.forklift/converge.lock')}); wait for it to finish (a lock left by a killed run goes stale after 10 s)`,
      )
      assert.deepEqual(await readdir(join(dir, 'nodes')), ['app-1'])
      const dry = await runCli(['converge', '--dry-run', '--count', 'app=2'], { cwd: dir })
      assert.equal(dry.code, 0, dry.stdout + dry.stderr)
      assert.match(dry.stdout, /would create 1 and destroy 0 node\(s\)/)

      await rm(join(dir, 'hold'))
      const done = await first
      assert.equal(done.code, 0, done.stdout + done.stderr)
      assert.equal(await exists(join(dir, '.forklift/converge.lock')), false)
      const again = await runCli(['converge', '--count', 'app=2', '--json'], { cwd: dir })
      assert.equal(again.code, 0, again.stdout + again.stderr)
      assert.deepEqual(json(again.stdout).groups[0]!.created, ['app-2'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('node-list cannot create nodes', () => {
  it('converge reports a count it cannot meet as an error for that group', async () => {
    const dir = await project({
      'forklift.yaml': `
providers:
  lab:
    type: node-list
    settings:
      nodes:
        - { name: a, address: 127.0.0.254, group: web }
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: lab
    count: 2
  other:
    provider: box
    count: 1
`,
    })
    try {
      const result = await runCli(['converge', '--json'], { cwd: dir })
      assert.equal(result.code, 1)
      const report = json(result.stdout)
      const web = report.groups.find((g) => g.name === 'web')!
      assert.equal(
        web.error,
        'count 2 cannot be met: provider "lab" has 1 node(s) for this group and cannot create nodes (without `count`, the group is the nodes it lists)',
      )
      assert.deepEqual(web.phases, [])
      // Its node is reported, skipped for the group's error: it ran nothing.
      assert.deepEqual(web.nodes, [
        {
          name: 'a',
          address: '127.0.0.254',
          status: 'skipped',
          skipped: { reason: 'group-error', phases: ['connect', 'settings', 'configure'] },
          durationMs: 0,
        },
      ])
      const other = report.groups.find((g) => g.name === 'other')!
      assert.deepEqual(
        other.nodes.map((n) => n.status),
        ['changed'],
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('a crate that fails', () => {
  it('a throw names the crate, phase and node once, its own frames beside the message', async () => {
    const dir = await project({
      'forklift.yaml': `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: box
    count: 1
    crates: [boom]
`,
      'crates/boom/index.js': `
function explode() { throw new RangeError('no room') }
export default { phases: { configure: () => explode() } }
`,
    })
    try {
      const result = await runCli(['converge', '--json'], { cwd: dir })
      assert.equal(result.code, 1)
      const configure = json(result.stdout).groups[0]!.phases.find((p) => p.phase === 'configure')!
      const message = configure.error!.message
      // One line; the crate's own frames beside it, none of Forklift's.
      assert.equal(message, 'crate "boom", phase configure, node web-1: RangeError: no room')
      const stack = configure.error!.stack ?? ''
      assert.match(
        stack,
        /^at explode \(file:\/\/.*\/crates\/boom\/index\.js:2:\d+\)\nat configure \(file:\/\/.*\/crates\/boom\/index\.js:3:\d+\)$/,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a bad action fails its nodes with the crate, the action and the field named; nothing runs', async () => {
    const dir = await project({
      'forklift.yaml': `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: box
    count: 1
    crates: [typo]
`,
      'crates/typo/index.js': `
export default {
  phases: {
    configure: (ctx) => [
      { type: 'file', path: ctx.node.root + '/first', content: 'x' },
      { type: 'file', path: ctx.node.root + '/second', mdoe: '0644' },
    ],
  },
}
`,
    })
    try {
      const result = await runCli(['converge', '--json'], { cwd: dir })
      assert.equal(result.code, 1)
      const web = json(result.stdout).groups[0]!
      const configure = web.phases.find((p) => p.phase === 'configure')!
      assert.equal(configure.status, 'failed')
      assert.match(
        configure.error!.message,
        /^crate "typo": action 1 \(file .*\/second\): unknown key `mdoe` \(did you mean `mode`\?\)$/,
      )
      assert.equal(await exists(join(dir, 'nodes/web-1/first')), false)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('node-list groups without count are the nodes as listed', () => {
  const config = (count: string) => `
providers:
  lab:
    type: node-list
    settings:
      nodes:
        - { name: a, address: 127.0.0.1, port: 1, group: web }
        - { name: b, address: 127.0.0.1, port: 1, group: web }
groups:
  web:
    provider: lab
${count}`

  it('converge neither creates nor destroys: both listed nodes are the group', async () => {
    const dir = await project({ 'forklift.yaml': config('') })
    try {
      for (const args of [
        ['converge', '--json'],
        ['converge', '--json', '--dry-run'],
      ]) {
        const result = await runCli(args, { cwd: dir })
        const web = json(result.stdout).groups[0]!
        assert.equal(web.error, undefined, args.join(' '))
        assert.deepEqual(web.created, [])
        // Port 1 refuses: the nodes were tried, which is all this test needs.
        assert.deepEqual(
          web.nodes.map((n) => n.name),
          ['a', 'b'],
        )
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a count it cannot meet is the same error in a dry run as in a real one', async () => {
    const dir = await project({ 'forklift.yaml': config('    count: 3\n') })
    try {
      const real = await runCli(['converge', '--json'], { cwd: dir })
      const dry = await runCli(['converge', '--json', '--dry-run'], { cwd: dir })
      const message =
        'count 3 cannot be met: provider "lab" has 2 node(s) for this group and cannot create nodes (without `count`, the group is the nodes it lists)'
      for (const result of [real, dry]) {
        assert.equal(result.code, 1)
        const web = json(result.stdout).groups[0]!
        assert.equal(web.error, message)
        assert.deepEqual(web.phases, [])
      }
      assert.doesNotMatch(dry.stdout + dry.stderr, /would create/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('~ in forklift.yaml paths', () => {
  it("is the user's home: the README's identity-file and a node root under ~ converge", async () => {
    const home = await mkdtemp(join(tmpdir(), 'forklift-home-'))
    const dir = await project({
      'forklift.yaml': `
providers:
  box: { type: local, settings: { root: ~/nodes } }
groups:
  web:
    provider: box
    count: 1
    login: { user: forklift, identity-file: ~/.ssh/id_ed25519 }
`,
    })
    try {
      await mkdir(join(home, '.ssh'))
      await writeFile(join(home, '.ssh', 'id_ed25519.pub'), 'ssh-ed25519 AAAAhome me@here\n')
      const result = await runCli(['converge', '--json'], { cwd: dir, env: { HOME: home } })
      assert.equal(result.code, 0, result.stderr || result.stdout)
      assert.deepEqual(json(result.stdout).groups[0]!.created, ['web-1'])
      assert.ok(await exists(join(home, 'nodes', 'web-1')))
      assert.equal(await exists(join(dir, '~')), false)
    } finally {
      await rm(dir, { recursive: true, force: true })
      await rm(home, { recursive: true, force: true })
    }
  })
})
