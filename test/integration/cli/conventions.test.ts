import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { describe, it } from 'node:test'
import { runCli } from '../../support/cli.js'
import { forkliftBin, repoRoot } from '../../support/paths.js'

/** Run forklift with stdin a pipe that stays open (not a terminal, never at end of file). */
function runWithOpenStdin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [forkliftBin, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c
    })
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c
    })
    child.on('error', reject)
    child.on('close', (code) => {
      child.stdin.destroy()
      resolve({ code, stdout, stderr })
    })
  })
}

/** Forklift's own command ids, from the compiled command files (`pod/eval.js` → `pod eval`). */
async function commandIds(): Promise<string[]> {
  const root = join(repoRoot, 'dist', 'src', 'commands')
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => relative(root, join(e.parentPath, e.name)).replace(/\.js$/, '').split('/').join(' '))
    .sort()
}

describe('version', () => {
  it('`version --json` and `--version --json` print one JSON object with versions, platform and plugins', async () => {
    for (const args of [
      ['version', '--json'],
      ['--version', '--json'],
    ]) {
      const run = await runCli(args)
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`)
      const about = JSON.parse(run.stdout)
      assert.equal(about.name, 'forklift')
      assert.match(about.version, /^\d+\.\d+\.\d+/)
      assert.equal(about.node, process.versions.node)
      assert.equal(about.platform, process.platform)
      assert.equal(about.arch, process.arch)
      assert.ok(about.providers.includes('local'))
      const names = about.plugins.map((p: { name: string }) => p.name)
      assert.ok(names.includes('@oclif/plugin-help'), names.join(', '))
      for (const p of about.plugins) assert.match(p.version, /^\d+\.\d+\.\d+/, p.name)
    }
  })

  it('`version` and `--version` print the same line', async () => {
    const a = await runCli(['version'])
    const b = await runCli(['--version'])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(b.code, 0, b.stderr)
    assert.match(a.stdout, /^forklift\/\d+\.\d+\.\d+ \S+ node-v\S+\n$/)
    assert.equal(a.stdout, b.stdout)
  })
})

describe('did you mean', () => {
  for (const [args, typed, meant] of [
    [['lfit'], 'lfit', 'lift'],
    [['convrge', 'web'], 'convrge', 'converge'],
    [['pod', 'evl', '1'], 'pod evl', 'pod eval'],
    [['hail', 'stauts'], 'hail stauts', 'hail status'],
  ] as const) {
    it(`\`${args.join(' ')}\` names "${meant}", exits 2, and never asks (stdin open, not a terminal)`, async () => {
      const run = await runWithOpenStdin([...args])
      assert.equal(run.code, 2, run.stderr)
      assert.equal(run.stdout, '')
      assert.equal(
        run.stderr.split('\n').filter(Boolean).length,
        1,
        `one line, no prompt and no stack: ${run.stderr}`,
      )
      assert.ok(run.stderr.includes(`"${typed}"`), run.stderr)
      assert.ok(run.stderr.includes(`did you mean "${meant}"?`), run.stderr)
      assert.doesNotMatch(run.stderr, /\w:\w/, 'topics are written with spaces')
    })
  }

  it('under --json the mistyped command or flag is one JSON error object on stdout', async () => {
    const command = await runWithOpenStdin(['pod', 'evl', '--json'])
    assert.equal(command.code, 2, command.stderr)
    assert.match(command.stderr, /^Error: unknown command "pod evl"/)
    assert.deepEqual(JSON.parse(command.stdout), {
      error: {
        message:
          'unknown command "pod evl" (did you mean "pod eval"?); see forklift help pod for the commands',
        code: 'USAGE',
        exitCode: 2,
      },
    })
    const flag = await runCli(['lift', '--dryrun', '--json'])
    assert.equal(flag.code, 2, flag.stderr)
    assert.match(JSON.parse(flag.stdout).error.message, /unknown flag --dryrun \(did you mean --dry-run\?\)/)
  })

  it('a word close to no command gets no guess, still one line and status 2', async () => {
    const run = await runWithOpenStdin(['deploy-everything'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /^Error: unknown command "deploy-everything"; see forklift help/)
    assert.doesNotMatch(run.stderr, /did you mean/)
  })

  it('a mistyped flag names the closest flag of that command, status 2', async () => {
    const run = await runCli(['lift', '--dryrun'])
    assert.equal(run.code, 2, run.stderr)
    assert.equal(
      run.stderr,
      'Error: unknown flag --dryrun (did you mean --dry-run?); see forklift lift --help\n',
    )
    const pod = await runCli(['pod', 'eval', '--tmeout', '5', '1'])
    assert.equal(pod.code, 2, pod.stderr)
    assert.match(pod.stderr, /--tmeout \(did you mean --timeout\?\); see forklift pod eval --help/)
    const two = await runCli(['nodes', '--jsn', '--confg=x.yaml'])
    assert.equal(two.code, 2, two.stderr)
    assert.match(
      two.stderr,
      /unknown flags --jsn \(did you mean --json\?\), --confg=x\.yaml \(did you mean --config\?\)/,
    )
  })
})

describe('help', () => {
  it('every command has a description and at least one example of itself', async () => {
    const ids = await commandIds()
    assert.ok(ids.length >= 18, ids.join(', '))
    for (const id of ids) {
      const words = id.split(' ')
      const run = await runCli([...words, '--help'])
      assert.equal(run.code, 0, `${id}: ${run.stderr}`)
      const description = /^DESCRIPTION\n((?: {2}.*\n|\n)+)/m.exec(run.stdout)?.[1]?.trim()
      assert.ok(description && description.length > 20, `${id} has no description:\n${run.stdout}`)
      const examples = /^EXAMPLES\n((?: {2}.*\n|\n)+)/m.exec(run.stdout)?.[1] ?? ''
      assert.ok(
        examples
          .split('\n')
          .some(
            (line) =>
              line.trim().startsWith(`$ forklift ${id}`) || (id === 'version' && line.includes('--version')),
          ),
        `${id} has no example of itself:\n${run.stdout}`,
      )
    }
  })
})
