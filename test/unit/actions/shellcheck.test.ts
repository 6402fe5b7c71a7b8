import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HELPER_NAMES, helperCode } from '../../../src/core/actions/prelude.js'
import { compilePhaseScript, prepareActions } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import type { Facts } from '../../../src/core/model/node.js'
import { runProcess } from '../../support/process.js'
import { requireTools } from '../../support/require.js'

// `shellcheck -s sh` on every helper and on compiled scripts of every action type, for every package
// manager and init system. A warning passes only when it is one of those explained here.

/** Why each code shellcheck raises on this shell is right as written. */
const EXPLAINED: Record<string, string> = {
  // Helpers are called by action blocks (and each other) that shellcheck cannot connect to them.
  SC2317: 'a helper function looks unreachable: action blocks call it',
  // `X= Y=` is the shortest way to empty variables; no value was forgotten.
  SC1007: 'an empty assignment is meant',
  // `set -- $(stat …)` splits stat's fields on purpose.
  SC2046: 'the fields of stat are split on purpose',
  // `a && b || fail`: fail is the failure path of a and b alike.
  SC2015: 'the || branch is the failure of either command',
  // awk programs and trap bodies are single-quoted so that awk and the trap expand them.
  SC2016: 'expanded by awk or the trap, not the shell',
  // _a resets every action variable; a helper checked alone does not read them all.
  SC2034: 'an action variable read by another helper',
  // Helpers read variables an action block (or N, D, T of the setup) assigns.
  SC2154: 'assigned by the action block or the setup',
}

/** Variables that hold lists split on purpose: packages, the package manager's command, groups (IFS=,). */
const SPLIT = new Set(['PK', '_i', '_m', 'PM', 'UG'])

interface Finding {
  line: number
  column: number
  code: string
  message: string
}

async function shellcheck(script: string): Promise<Finding[]> {
  const run = await runProcess('shellcheck', ['-s', 'sh', '-f', 'json', '-'], { input: script })
  return (
    JSON.parse(run.stdout || '[]') as { line: number; column: number; code: number; message: string }[]
  ).map((f) => ({ line: f.line, column: f.column, code: `SC${f.code}`, message: f.message }))
}

/** The findings no explanation covers, each with its line of the script. */
function unexplained(script: string, findings: Finding[]): string[] {
  const lines = script.split('\n')
  return findings
    .filter((f) => {
      if (f.code === 'SC2086') {
        const word = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(lines[f.line - 1]!.slice(f.column - 1))?.[1]
        return !word || !SPLIT.has(word)
      }
      return !(f.code in EXPLAINED)
    })
    .map((f) => `${f.code} ${f.message}\n  ${f.line}: ${lines[f.line - 1]}`)
}

const facts = (packageManager: Facts['packageManager'], init: Facts['init']): Facts => ({
  os: { family: 'debian', id: 'debian', version: '12' },
  arch: 'x86_64',
  init,
  packageManager,
  user: 'root',
  isRoot: true,
  hostname: 'node',
})

const KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF\n-----END PGP PUBLIC KEY BLOCK-----\n'

/** One action of every type and form, with values that need quoting. */
const everyAction = (pm: Facts['packageManager']): Action[] => [
  { type: 'file', path: "/srv/it's here", content: 'a "b" $c `d`\n', mode: '0640', owner: 'root' },
  { type: 'file', path: '/srv/gone', state: 'absent' },
  { type: 'directory', path: '/srv/d', mode: '0750', owner: 'root', group: 'root', recursive: true },
  { type: 'directory', path: '/srv/old', state: 'absent' },
  { type: 'symlink', path: '/srv/l', target: '/srv/d' },
  { type: 'remote-file', path: '/srv/r', content: 'x\n', backup: true },
  { type: 'remote-file', path: '/srv/u', url: 'https://u:p@example.org/f?a=b', sha256: 'a'.repeat(64) },
  { type: 'remote-file', path: '/srv/r', state: 'absent' },
  { type: 'line', path: '/etc/hosts', line: '127.0.0.1 x', match: '^127\\.0\\.0\\.1 ' },
  { type: 'line', path: '/etc/hosts', line: 'gone', state: 'absent' },
  {
    type: 'exec',
    script: 'echo "$X"',
    env: { X: "it's" },
    cwd: '/srv',
    unless: 'false',
    onlyIf: 'true',
    creates: 'c',
  },
  { type: 'exec', script: 'true' },
  ...(pm
    ? ([
        { type: 'package', name: ['nginx', 'curl'] },
        { type: 'package', name: 'nginx', state: 'latest' },
        { type: 'package', name: 'nginx', state: 'absent' },
        { type: 'package-update' },
        pm === 'apt'
          ? {
              type: 'package-source',
              name: 'repo',
              apt: { uri: 'http://deb.example.org/', suite: 'stable', key: KEY },
            }
          : pm === 'apk'
            ? undefined
            : {
                type: 'package-source',
                name: 'repo',
                yum: { baseurl: 'http://rpm.example.org/', gpgkey: 'http://k' },
              },
      ].filter(Boolean) as Action[])
    : []),
  {
    type: 'user',
    name: 'deploy',
    groups: ['adm', 'www-data'],
    home: '/home/deploy',
    shell: '/bin/sh',
    sudo: true,
    authorizedKeys: ['ssh-ed25519 AAAA x'],
  },
  { type: 'user', name: 'old', state: 'absent' },
  { type: 'group', name: 'app', gid: 2000, system: true },
  { type: 'service', name: 'nginx', state: 'restarted', enabled: true },
]

describe('shellcheck -s sh', () => {
  it('passes every helper, with only explained warnings', async (t) => {
    if (!requireTools(t, 'shellcheck')) return
    const problems: string[] = []
    for (const name of HELPER_NAMES) {
      const code = helperCode([name])
      for (const p of unexplained(code, await shellcheck(code))) problems.push(`${name}: ${p}`)
    }
    assert.deepEqual(problems, [])
  })

  it('passes compiled scripts of every action type, for each package manager and init system', async (t) => {
    if (!requireTools(t, 'shellcheck')) return
    const problems: string[] = []
    const systems: [Facts['packageManager'], Facts['init']][] = [
      ['apt', 'systemd'],
      ['dnf', 'sysvinit'],
      ['yum', 'sysvinit'],
      ['apk', 'openrc'],
      [null, 'unknown'],
    ]
    for (const [pm, init] of systems) {
      for (const dryRun of [false, true]) {
        const actions = await prepareActions(
          everyAction(pm).filter((a) => a.type !== 'service' || init !== 'unknown'),
          { baseDir: '/', templateData: {} },
        )
        const script = compilePhaseScript(actions, { facts: facts(pm, init), dryRun, nonce: 'shellcheck0' })
        for (const p of unexplained(script, await shellcheck(script))) problems.push(`${pm}/${init}: ${p}`)
      }
    }
    assert.deepEqual(problems, [])
  })
})
