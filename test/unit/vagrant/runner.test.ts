import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
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
    (error: Error) =>
      error.name === 'ProviderError' &&
      /^vagrant up was interrupted \(it stopped within \d+ s\)$/.test(error.message),
  )
  // Vagrant had its say before the promise settled: its cleanup ran.
  assert.deepEqual(seen, ['started', 'cleaning up'])
  await assert.rejects(
    runVagrant(['up'], { executable: vagrant, cwd: tmpdir(), signal: controller.signal }),
    /vagrant up was not started: interrupted/,
  )
})

/** Whether a process is alive (a zombie counts as ended). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
}

test('vagrant runs in a process group of its own, and the folder overrides are not passed on', async (t) => {
  const vagrant = await standIn(
    t,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    'echo "1700000000,,ui,info,$(ps -o pgid= -p $$ | tr -d " ") $$ dotfile=${VAGRANT_DOTFILE_PATH-unset} vagrantfile=${VAGRANT_VAGRANTFILE-unset}"',
  )
  process.env.VAGRANT_DOTFILE_PATH = '/elsewhere/.vagrant'
  process.env.VAGRANT_VAGRANTFILE = 'Other.rb'
  t.after(() => {
    delete process.env.VAGRANT_DOTFILE_PATH
    delete process.env.VAGRANT_VAGRANTFILE
  })
  const result = await runVagrant(['status'], { executable: vagrant, cwd: tmpdir() })
  const [pgid, pid, ...rest] = result.records[0]!.data[1]!.split(' ')
  // Its own group (it leads it), not the group a terminal's Ctrl-C goes to.
  assert.equal(pgid, pid)
  assert.notEqual(Number(pgid), Number(readFileSync('/proc/self/stat', 'utf8').split(' ')[4]))
  assert.deepEqual(rest, ['dotfile=unset', 'vagrantfile=unset'])
})

test("an abort reaches the child of a launcher that ignores SIGINT, as HashiCorp's does", async (t) => {
  // The launcher catches SIGINT and waits for its child; the child (Vagrant's Ruby) cleans up on SIGINT.
  const vagrant = await standIn(
    t,
    [
      "trap ':' INT",
      'sh -c \'trap "echo 1700000000,,ui,info,child cleaning up; exit 130" INT; echo 1700000000,,ui,info,started; while :; do sleep 0.05; done\'',
      'echo 1700000000,,ui,info,launcher done',
    ].join('\n'),
  )
  const controller = new AbortController()
  const seen: string[] = []
  await assert.rejects(
    runVagrant(['up', 'web-1'], {
      executable: vagrant,
      cwd: tmpdir(),
      signal: controller.signal,
      onRecord: (record) => {
        seen.push(record.data[1]!)
        if (record.data[1] === 'started') controller.abort()
      },
    }),
    /^ProviderError: vagrant up web-1 was interrupted \(it stopped within \d+ s\)$/,
  )
  assert.deepEqual(seen, ['started', 'child cleaning up', 'launcher done'])
})

test('a command that ignores SIGINT is killed with its whole group after the grace', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'forklift-vagrant-pids-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  // Launcher and child both ignore SIGINT; the child holds no pipe, so only the group kill ends it.
  const vagrant = await standIn(
    t,
    [
      "trap '' INT",
      `sh -c 'echo $$ > ${dir}/child; exec sleep 600' >/dev/null 2>&1 &`,
      `while [ ! -s ${dir}/child ]; do sleep 0.02; done`,
      'echo 1700000000,,ui,info,started',
      'wait',
    ].join('\n'),
  )
  const controller = new AbortController()
  await assert.rejects(
    runVagrant(['destroy', '-f', 'web-1'], {
      executable: vagrant,
      cwd: tmpdir(),
      signal: controller.signal,
      graceMs: 200,
      onRecord: (record) => {
        if (record.data[1] === 'started') controller.abort()
      },
    }),
    /^ProviderError: vagrant destroy web-1 was interrupted \(killed after 0.2 s without stopping\)$/,
  )
  const child = Number(readFileSync(join(dir, 'child'), 'utf8'))
  // SIGKILL is delivered, not awaited: give the kernel a moment to end the process.
  for (let i = 0; i < 100 && alive(child); i++) await new Promise((r) => setTimeout(r, 20))
  assert.equal(alive(child), false, `child ${child} of the killed command is still running`)
})

test('a command that outlasts its timeout is stopped like an interrupted one, and says so', async (t) => {
  const vagrant = await standIn(
    t,
    'trap "echo 1700000000,,ui,info,stopping; exit 130" INT\nwhile :; do sleep 0.05; done',
  )
  const seen: string[] = []
  await assert.rejects(
    runVagrant(['status', 'web-1'], {
      executable: vagrant,
      cwd: tmpdir(),
      timeoutMs: 300,
      onRecord: (record) => seen.push(record.data[1]!),
    }),
    /^ProviderError: vagrant status web-1 did not finish within 0.3 s \(it stopped within \d+ s\)$/,
  )
  assert.deepEqual(seen, ['stopping'])
})

test('a missing executable is a one-line error', async () => {
  await assert.rejects(
    runVagrant(['status'], { executable: '/nonexistent/vagrant', cwd: tmpdir() }),
    (error: Error) =>
      error.name === 'ProviderError' &&
      error.message ===
        'cannot run /nonexistent/vagrant: not found (install Vagrant, or set the provider setting `vagrant` to its path)',
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
