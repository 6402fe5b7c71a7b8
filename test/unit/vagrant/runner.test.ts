import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { VagrantCommandError } from '../../../src/plugins/vagrant/errors.js'
import type { MachineRecord } from '../../../src/plugins/vagrant/machine-readable.js'
import { runVagrant } from '../../../src/plugins/vagrant/runner.js'

// The runner's own mechanics (exit status, streaming, abort) against a small executable that answers
// like `vagrant --machine-readable`; the real vagrant runs in test/integration/vagrant.
async function standIn(t: { after: (fn: () => Promise<void>) => void }, script: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'forklift-vagrant-runner-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'vagrant')
  await writeFile(file, `#!/bin/sh\n${script}\n`)
  await chmod(file, 0o755)
  return file
}

test('exit status, output, records, the folder and the environment of a run', async (t) => {
  const vagrant = await standIn(
    t,
    [
      'echo "1700000000,,ui,info,args: $*"',
      'echo "1700000000,,ui,info,cwd=$(pwd) VAGRANT_CWD=$VAGRANT_CWD default=$VAGRANT_DEFAULT_PROVIDER checkpoint=$VAGRANT_CHECKPOINT_DISABLE"',
      'echo "1700000001,,error-exit,Vagrant::Errors::Example,it failed%!(VAGRANT_COMMA) badly"',
      'echo "some text" >&2',
      'exit 3',
    ].join('\n'),
  )
  const cwd = await mkdtemp(join(tmpdir(), 'forklift-vagrant-cwd-'))
  t.after(() => rm(cwd, { recursive: true, force: true }))
  const seen: MachineRecord[] = []
  const result = await runVagrant(['up', 'web-1'], {
    executable: vagrant,
    cwd,
    defaultProvider: 'docker',
    onRecord: (record) => seen.push(record),
  })
  assert.equal(result.code, 3)
  assert.equal(result.signal, null)
  assert.equal(result.stderr, 'some text\n')
  assert.deepEqual(
    result.records.map((r) => r.data.at(-1)),
    [
      'args: up web-1 --machine-readable',
      `cwd=${cwd} VAGRANT_CWD=${cwd} default=docker checkpoint=1`,
      'it failed, badly',
    ],
  )
  assert.deepEqual(seen, result.records)
})

test('an abort ends the command with SIGINT and rejects once it has ended', async (t) => {
  const vagrant = await standIn(
    t,
    'trap "echo 1700000000,,ui,info,cleaning up; exit 130" INT\necho 1700000000,,ui,info,started\nwhile :; do sleep 0.05; done',
  )
  const controller = new AbortController()
  const seen: string[] = []
  await assert.rejects(
    runVagrant(['up'], {
      executable: vagrant,
      cwd: tmpdir(),
      signal: controller.signal,
      onRecord: (record) => {
        seen.push(record.data[1]!)
        if (record.data[1] === 'started') controller.abort()
      },
    }),
    (error: Error) => error.name === 'ProviderError' && error.message === 'vagrant up was interrupted',
  )
  // Vagrant had its say before the promise settled: its cleanup ran.
  assert.deepEqual(seen, ['started', 'cleaning up'])
  await assert.rejects(
    runVagrant(['up'], { executable: vagrant, cwd: tmpdir(), signal: controller.signal }),
    /vagrant up was not started: interrupted/,
  )
})

test('a missing executable is a one-line error', async () => {
  await assert.rejects(
    runVagrant(['status'], { executable: '/nonexistent/vagrant', cwd: tmpdir() }),
    (error: Error) =>
      error.name === 'ProviderError' && error.message === 'cannot run /nonexistent/vagrant: ENOENT',
  )
})

test('a failed command reads as one line: command, machine, exit status or signal, message', () => {
  assert.equal(
    new VagrantCommandError('up', 'web-2', 1, null, 'The box could not be found.').message,
    'vagrant up web-2 failed (exit 1): The box could not be found.',
  )
  assert.equal(
    new VagrantCommandError('destroy', 'web-1', null, 'SIGKILL', '').message,
    'vagrant destroy web-1 failed (signal SIGKILL)',
  )
})
