import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { compilePhaseScript, describeAction, parsePhaseOutput } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import { localFacts, runPhase, runScript, statuses, tempDir } from './support.js'

const NONCE = 'f00dfeed1234'
const compile = (actions: Action[], dryRun = false) =>
  compilePhaseScript(actions, { facts: localFacts(), dryRun, nonce: NONCE })

describe('phase script', () => {
  it('output that imitates markers (even with the nonce) is attributed to its action, not obeyed', async (t) => {
    const dir = await tempDir(t)
    const fake = [
      `@@FL:${NONCE} end 0 ok 0 -`,
      `@@FL:${NONCE} done`,
      `@@FL:${NONCE} begin 1`,
      `@@FL:${NONCE} end 1 failed 9 exit`,
      '|not a prefix',
    ]
    const actions: Action[] = [
      {
        type: 'exec',
        script: `printf '%s\\n' ${fake.map((l) => `'${l}'`).join(' ')}; printf 'no newline'; printf '${fake[3]}' >&2`,
      },
      { type: 'file', path: join(dir, 'real'), content: 'yes\n' },
    ]
    const script = compile(actions)
    const run = await runScript(script)
    const results = parsePhaseOutput(run.stdout, run.stderr, run.code, actions, NONCE)
    assert.deepEqual(
      results.map((r) => [r.index, r.status]),
      [
        [0, 'changed'],
        [1, 'changed'],
      ],
    )
    assert.equal(results[0]!.output, [...fake, 'no newline', fake[3]].join('\n'))
    assert.equal(results[1]!.message, 'created')
    assert.equal(await readFile(join(dir, 'real'), 'utf8'), 'yes\n')
  })

  it('a node that stops answering mid-action fails that action; the rest are skipped', async (t) => {
    const dir = await tempDir(t)
    const actions: Action[] = [
      { type: 'file', path: join(dir, 'before'), content: 'x' },
      { type: 'exec', script: 'echo working; sleep 30' },
      { type: 'file', path: join(dir, 'after'), content: 'x' },
    ]
    // Its temp folder goes in the test's folder: a killed script cannot clean up after itself.
    const child = spawn('sh', ['-s'], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: dir },
    })
    t.after(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    })
    let stdout = ''
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk
        if (stdout.includes(`@@FL:${NONCE} begin 1\n`)) resolve()
      })
      child.stdin.end(compile(actions))
    })
    // The whole process group dies at once, as when a node's sshd is killed.
    process.kill(-child.pid!, 'SIGKILL')
    const code = await closed
    const results = parsePhaseOutput(stdout, '', code, actions, NONCE)
    assert.deepEqual(statuses({ results } as never), ['changed', 'failed', 'skipped'])
    assert.equal(results[1]!.message, 'the node stopped answering during this action (the connection closed)')
    assert.equal(results[2]!.message, 'not run: the node stopped answering')
  })

  it('leaves no temp folder behind: after success, failure, or a hangup (a dropped ssh session)', async (t) => {
    const dir = await tempDir(t)
    const tmp = join(dir, 'tmp')
    await mkdir(tmp)
    const env = { ...process.env, TMPDIR: tmp }
    for (const actions of [
      [{ type: 'exec', script: 'true' }],
      [{ type: 'exec', script: 'exit 4' }],
    ] as Action[][]) {
      const child = spawnSync('sh', ['-s'], { input: compile(actions), env, encoding: 'utf8' })
      assert.match(child.stdout, /@@FL:\w+ end 0 /)
      assert.deepEqual(await readdir(tmp), [])
    }
    const child = spawn('sh', ['-s'], { detached: true, stdio: ['pipe', 'pipe', 'ignore'], env })
    t.after(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    })
    const closed = new Promise((resolve) => child.on('close', resolve))
    const ready = join(dir, 'ready')
    child.stdout.resume()
    child.stdin.end(compile([{ type: 'exec', script: `touch ${ready}; sleep 30` }]))
    while (!existsSync(ready)) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.equal((await readdir(tmp)).length, 1)
    process.kill(-child.pid!, 'SIGHUP')
    await closed
    assert.deepEqual(await readdir(tmp), [])
  })

  it('output cut inside a data section or an end line still parses', () => {
    const actions: Action[] = [
      { type: 'file', path: '/srv/a', content: 'new\n' },
      { type: 'file', path: '/srv/b', content: 'x' },
    ]
    const head = `@@FL:${NONCE} start 0\n@@FL:${NONCE} begin 0\n@@FL:${NONCE} data o\n 6f 6c`
    for (const stdout of [head, `${head} 64 0a\n@@FL:${NONCE} end 0 chan`]) {
      const results = parsePhaseOutput(stdout, '', null, actions, NONCE)
      assert.deepEqual(
        results.map((r) => r.status),
        ['failed', 'skipped'],
      )
    }
    const whole = `${head} 64 0a\n@@FL:${NONCE} end 0 changed 0 - content\n@@FL:${NONCE} begin 1\n`
    const results = parsePhaseOutput(whole, '', 255, actions, NONCE)
    assert.equal(
      results[0]!.diff,
      '===================================================================\n--- a/srv/a\n+++ b/srv/a\n@@ -1,1 +1,1 @@\n-old\n+new\n',
    )
    assert.equal(
      results[1]!.message,
      'the node stopped answering during this action (the script exited with status 255)',
    )
  })

  it('a script that never started (sudo refused) fails the first action with the reason', () => {
    const actions: Action[] = [{ type: 'package-update' }, { type: 'file', path: '/x' }]
    const results = parsePhaseOutput('', 'sudo: a password is required\n', 1, actions, NONCE)
    assert.deepEqual(
      results.map((r) => [r.status, r.message]),
      [
        [
          'failed',
          'the script did not start (the script exited with status 1): sudo: a password is required',
        ],
        ['skipped', 'not run: the script did not start'],
      ],
    )
  })

  it('a 30-action phase is one small script that runs in one go', async (t) => {
    const dir = await tempDir(t)
    const actions: Action[] = []
    for (let i = 0; i < 10; i++) {
      actions.push(
        { type: 'directory', path: join(dir, `d${i}`), mode: '0755' },
        { type: 'file', path: join(dir, `d${i}`, 'conf'), content: `value=${i}\n`, mode: '0644' },
        { type: 'line', path: join(dir, `d${i}`, 'hosts'), line: 'extra=1' },
      )
    }
    const script = compile(actions)
    assert.ok(script.length < 16_000, `script is ${script.length} bytes`)
    assert.doesNotMatch(script, /_user\(\)|_svc\(\)|_pk\(\)/, 'only the helpers in use are included')
    const first = await runPhase(actions)
    assert.ok(
      first.results.every((r) => r.status === 'changed'),
      first.stderr,
    )
    const second = await runPhase(actions)
    assert.ok(second.results.every((r) => r.status === 'ok'))
  })

  it('a dry run is reported by the script itself', async () => {
    const actions: Action[] = [{ type: 'exec', script: 'true' }]
    const run = await runScript(compile(actions, true))
    assert.equal(parsePhaseOutput(run.stdout, run.stderr, run.code, actions, NONCE)[0]!.message, 'would run')
  })
})

describe('describeAction', () => {
  it('names the type and what it is about', () => {
    assert.deepEqual(
      [
        { type: 'file', path: '/etc/motd' },
        { type: 'package', name: ['nginx', 'curl'] },
        { type: 'package', name: 'nginx' },
        { type: 'exec', script: '  apt-get clean\nrm -rf /tmp/x' },
        { type: 'exec', script: 'x'.repeat(80) },
        { type: 'service', name: 'nginx' },
        { type: 'package-update' },
        { type: 'user', name: 'deploy' },
      ].map((a) => describeAction(a as Action)),
      [
        'file /etc/motd',
        'package nginx curl',
        'package nginx',
        'exec apt-get clean',
        `exec ${'x'.repeat(80)}`,
        'service nginx',
        'package-update',
        'user deploy',
      ],
    )
  })
})
