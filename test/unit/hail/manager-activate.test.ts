import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { repoRoot } from '../../support/paths.js'

const run = promisify(execFile)

// The manager's bin/activate (templates/hail/manager-activate.sh) run for real by sh, with systemctl
// replaced by a recorder through its SYSTEMCTL setting (no systemd here).

describe("the manager build's activate script", () => {
  it('installs new units, restarts changed ones and removes dropped ones', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-manager-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const calls = join(dir, 'calls')
    const systemctl = join(dir, 'systemctl')
    // It refuses to enable the "bad" unit, as a unit with a broken [Install] section would be refused.
    await writeFile(
      systemctl,
      `#!/bin/sh\necho "$*" >> ${calls}\n[ "$*" = "enable forklift-hail-bad.service" ] && exit 1\nexit 0\n`,
    )
    await chmod(systemctl, 0o755)
    const build = async (name: string, units: Record<string, string>) => {
      const out = join(dir, name)
      await mkdir(join(out, 'bin'), { recursive: true })
      await mkdir(join(out, 'units'))
      await cp(join(repoRoot, 'templates', 'hail', 'manager-activate.sh'), join(out, 'bin', 'activate'))
      for (const [unit, text] of Object.entries(units)) await writeFile(join(out, 'units', unit), text)
      return out
    }
    const env = {
      ...process.env,
      SYSTEMCTL: systemctl,
      HAIL_UNIT_DIR: join(dir, 'system'),
      HAIL_MANAGER_STATE: join(dir, 'state'),
    }
    const activate = async (out: string) => {
      // Run through a profile link, as the watcher does.
      await rm(join(dir, 'profile'), { force: true })
      await symlink(out, join(dir, 'profile'))
      await writeFile(calls, '')
      const { stdout } = await run('sh', [join(dir, 'profile', 'bin', 'activate')], { env })
      return { stdout, calls: (await readFile(calls, 'utf8')).trim().split('\n') }
    }

    const first = await activate(
      await build('one', { 'forklift-hail-web.service': 'web v1\n', 'forklift-hail-db.service': 'db v1\n' }),
    )
    assert.match(first.stdout, /changed: forklift-hail-db\.service forklift-hail-web\.service; removed: none/)
    assert.deepEqual(first.calls, [
      'daemon-reload',
      'enable forklift-hail-db.service',
      'enable forklift-hail-web.service',
      '--no-block restart forklift-hail-db.service',
      '--no-block restart forklift-hail-web.service',
      '--no-block start forklift-hail-db.service',
      '--no-block start forklift-hail-web.service',
    ])
    assert.deepEqual((await readdir(join(dir, 'system'))).sort(), [
      'forklift-hail-db.service',
      'forklift-hail-web.service',
    ])

    const second = await activate(
      await build('two', {
        'forklift-hail-web.service': 'web v2\n',
        'forklift-hail-api.service': 'api v1\n',
      }),
    )
    assert.deepEqual(second.calls, [
      'disable --now forklift-hail-db.service',
      'daemon-reload',
      'enable forklift-hail-api.service',
      'enable forklift-hail-web.service',
      '--no-block restart forklift-hail-api.service',
      '--no-block restart forklift-hail-web.service',
      '--no-block start forklift-hail-api.service',
      '--no-block start forklift-hail-web.service',
    ])
    assert.deepEqual((await readdir(join(dir, 'system'))).sort(), [
      'forklift-hail-api.service',
      'forklift-hail-web.service',
    ])
    assert.equal(await readFile(join(dir, 'system', 'forklift-hail-web.service'), 'utf8'), 'web v2\n')

    const same = await activate(join(dir, 'two'))
    assert.ok(!same.calls.some((c) => c.includes('restart')), 'unchanged units are not restarted')

    // A build that fails half way, then the previous build activated again (the watcher's rollback):
    // what the failed build installed is gone, what it changed is back.
    const broken = await build('three', {
      'forklift-hail-web.service': 'web v3\n',
      'forklift-hail-bad.service': 'bad\n',
    })
    await assert.rejects(activate(broken))
    assert.ok((await readdir(join(dir, 'system'))).includes('forklift-hail-bad.service'))
    const back = await activate(join(dir, 'two'))
    assert.ok(back.calls.includes('disable --now forklift-hail-bad.service'), back.calls.join('\n'))
    assert.deepEqual((await readdir(join(dir, 'system'))).sort(), [
      'forklift-hail-api.service',
      'forklift-hail-web.service',
    ])
    assert.equal(await readFile(join(dir, 'system', 'forklift-hail-web.service'), 'utf8'), 'web v2\n')
    assert.deepEqual((await readFile(join(dir, 'state', 'units'), 'utf8')).trim().split('\n'), [
      'forklift-hail-api.service',
      'forklift-hail-web.service',
    ])
  })
})
