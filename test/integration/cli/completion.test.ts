import assert from 'node:assert/strict'
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../support/cli.js'
import { forkliftBin } from '../../support/paths.js'
import { runProcess } from '../../support/process.js'
import { requireTools } from '../../support/require.js'

const project = `providers:
  here: { type: local }
groups:
  web:
    provider: here
    phases:
      deploy: []
  db:
    provider: here
    phases:
      backup: []
`

describe('tab completion', () => {
  let dir: string
  let bin: string
  let env: NodeJS.ProcessEnv
  const scripts: Record<string, string> = {}

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forklift-complete-'))
    await writeFile(join(dir, 'forklift.yaml'), project)
    await mkdir(join(dir, 'other'))
    await writeFile(join(dir, 'other', 'forklift.yaml'), 'groups:\n  cache: { provider: x }\n')
    bin = join(dir, 'bin')
    await mkdir(bin)
    // The shells call `forklift` from PATH, as an installed one would be.
    await writeFile(join(bin, 'forklift'), `#!/bin/sh\nexec "${process.execPath}" "${forkliftBin}" "$@"\n`)
    await chmod(join(bin, 'forklift'), 0o755)
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' }
    for (const shell of ['bash', 'zsh', 'fish']) {
      const run = await runCli(['autocomplete', shell])
      assert.equal(run.code, 0, run.stderr)
      scripts[shell] = join(dir, `completion.${shell}`)
      await writeFile(scripts[shell]!, run.stdout)
    }
  })
  after(() => rm(dir, { recursive: true, force: true }))

  /** The candidates the complete command prints for WORDS, and its last line. */
  async function complete(...words: string[]): Promise<{ candidates: string[]; directive: string }> {
    const run = await runCli(['complete', '--', ...words], { cwd: dir })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stderr, '')
    const lines = run.stdout.split('\n').slice(0, -1)
    return { candidates: lines.slice(0, -1), directive: lines.at(-1)! }
  }

  it('completes commands, topics with spaces, flags, options, groups, phases and GROUP=', async () => {
    assert.deepEqual((await complete('l')).candidates, ['lift'])
    assert.deepEqual((await complete('pod', '')).candidates, ['call', 'eval', 'ls', 'prune'])
    assert.deepEqual((await complete('hail', 'st')).candidates, ['status'])
    assert.deepEqual((await complete('lift', '')).candidates, ['db', 'web'])
    assert.deepEqual((await complete('lift', 'web', '')).candidates, ['db'])
    assert.deepEqual((await complete('nodes', '--json', 'w')).candidates, ['web'])
    assert.deepEqual((await complete('lift', '--phase', '')).candidates, [
      'backup',
      'bootstrap',
      'configure',
      'deploy',
      'settings',
    ])
    assert.deepEqual((await complete('converge', 'web', '-p', 'd')).candidates, ['deploy'])
    assert.deepEqual((await complete('lift', '--consider', '')).candidates, ['db', 'web'])
    assert.deepEqual(await complete('converge', '--count', ''), {
      candidates: ['db=', 'web='],
      directive: ':nospace',
    })
    assert.deepEqual((await complete('lift', '--sandbox', '')).candidates, [
      'auto',
      'bwrap',
      'node-only',
      'unshare',
    ])
    // A boolean flag takes no value: the next word is a group.
    assert.deepEqual((await complete('lift', '--dry-run', '')).candidates, ['db', 'web'])
    assert.deepEqual((await complete('lift', '--dry')).candidates, ['--dry-run'])
    assert.deepEqual(await complete('lift', '-c', ''), { candidates: [], directive: ':files' })
    // Names come from the forklift.yaml that -c names.
    assert.deepEqual((await complete('lift', '-c', 'other/forklift.yaml', '')).candidates, ['cache'])
    assert.deepEqual((await complete('lift', '--config=other/forklift.yaml', '')).candidates, ['cache'])
  })

  it('a missing, broken or hostile forklift.yaml completes no names, silently', async () => {
    for (const text of [
      null,
      'groups: [',
      'groups:\n  __proto__: { phases: { x: [] } }\n',
      'groups: &a\n  x: *a\n',
    ]) {
      const sub = await mkdtemp(join(dir, 'broken-'))
      if (text !== null) await writeFile(join(sub, 'forklift.yaml'), text)
      const run = await runCli(['complete', '--', 'lift', '-c', join(sub, 'forklift.yaml'), '-p', ''])
      assert.equal(run.code, 0, run.stderr)
      assert.equal(run.stderr, '')
      assert.equal(run.stdout, 'bootstrap\nconfigure\nsettings\n:plain\n')
    }
  })

  it('bash: the script registers itself and offers what complete prints; typed text is never run', async (t) => {
    if (!requireTools(t, 'bash')) return
    const pwned = join(dir, 'pwned')
    const line = (typed: string) =>
      `COMP_LINE=${shellQuote(typed)}; COMP_POINT=\${#COMP_LINE}; read -r -a COMP_WORDS <<< "$COMP_LINE"; ` +
      `[[ $COMP_LINE =~ [[:space:]]$ ]] && COMP_WORDS+=(""); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); ` +
      `COMPREPLY=(); _forklift_complete 2>/dev/null; echo "$COMP_LINE => \${COMPREPLY[*]}"`
    const cases = [
      'forklift po',
      'forklift pod e',
      'forklift lift ',
      'forklift lift --phase ',
      'forklift converge --count w',
      `forklift lift $(touch ${pwned}) `,
      `forklift lift \`touch ${pwned}\` -p d`,
    ]
    const script = `source ${shellQuote(scripts.bash!)}\ncomplete -p forklift\n${cases.map(line).join('\n')}\n`
    const run = await runProcess('bash', ['--norc', '-c', script], { cwd: dir, env })
    assert.equal(run.code, 0, run.stderr)
    const out = run.stdout.split('\n')
    assert.equal(out[0], 'complete -F _forklift_complete forklift')
    assert.deepEqual(out.slice(1, -1), [
      'forklift po => pod',
      'forklift pod e => eval',
      'forklift lift  => db web',
      'forklift lift --phase  => backup bootstrap configure deploy settings',
      'forklift converge --count w => web=',
      `forklift lift $(touch ${pwned})  => db web`,
      `forklift lift \`touch ${pwned}\` -p d => deploy`,
    ])
    await assert.rejects(stat(pwned), { code: 'ENOENT' })
  })

  it('zsh: the function hands the words to complete and adds its candidates', async (t) => {
    if (!requireTools(t, 'zsh')) return
    // compadd and _files are zsh's completion builtins; outside a completion they are stood in for.
    const call = (...words: string[]) =>
      `words=(${words.map(shellQuote).join(' ')}); CURRENT=${words.length}; _forklift; print -- "--"`
    const script = [
      'compdef() { print -r -- "compdef $*" }',
      'compadd() { print -r -- "compadd $*" }',
      '_files() { print -r -- "_files" }',
      `source ${shellQuote(scripts.zsh!)}`,
      call('forklift', 'lift', '--phase', 'd'),
      call('forklift', 'converge', '--count', ''),
      call('forklift', 'init', ''),
      call('forklift', 'pod', ''),
    ].join('\n')
    const run = await runProcess('zsh', ['-f', '-c', script], { cwd: dir, env })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(
      run.stdout,
      [
        'compdef _forklift forklift',
        'compadd -- deploy',
        '--',
        'compadd -S  -- db= web=',
        '--',
        '_files',
        '--',
        'compadd -- call eval ls prune',
        '--',
        '',
      ].join('\n'),
    )
  })

  it('fish: complete -C offers groups, phases, topics and files', async (t) => {
    if (!requireTools(t, 'fish')) return
    const cases = ['forklift lift ', 'forklift lift -p ', 'forklift pod e', 'forklift lift -c oth']
    const script = [
      `source ${fishQuote(scripts.fish!)}`,
      ...cases.map((c) => `complete -C ${fishQuote(c)}; echo ==`),
    ].join('\n')
    const run = await runProcess('fish', ['--no-config', '-c', script], { cwd: dir, env })
    assert.equal(run.code, 0, run.stderr)
    const blocks = run.stdout.split('==\n').map((b) =>
      b
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]),
    )
    assert.deepEqual(blocks.slice(0, 4), [
      ['db', 'web'],
      ['backup', 'bootstrap', 'configure', 'deploy', 'settings'],
      ['eval'],
      ['other/'],
    ])
  })
})

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`
}

function fishQuote(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}
