import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { forkliftBin } from '../../support/paths.js'
import { requireTools } from '../../support/require.js'

// The live listr2 view on a real pseudo-terminal (util-linux `script`), and its plain fallback.

const secret = 's3cr3t-t0ken'

const yaml = `
environment:
  token: !secret ${secret}
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: box
    count: 2
    crates: [two]
    phases:
      broken:
        - type: exec
          script: echo oops >&2; false
          onlyIf: case "$FORKLIFT_ROOT" in */web-1) true;; *) false;; esac
      slow:
        - { type: exec, script: 'sleep 30' }
`

const crate = `
export default {
  phases: {
    configure: (ctx) => [
      { type: 'file', path: ctx.node.root + '/motd', content: 'hi\\ntoken=' + ctx.env.get('token') + '\\n' },
      { type: 'directory', path: ctx.node.root + '/srv' },
    ],
  },
}
`

interface Screen {
  code: number | null
  /** What the terminal received, escapes removed: every frame of the live view, one after another. */
  all: string
  /** The last frame (what stays on screen) and what follows it, durations as TIME. */
  final: string[]
}

const strip = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')

/**
 * Run forklift on a pty of the given width. Each key is typed once the screen so far matches its
 * pattern, as a user would press Ctrl-C on what they see.
 */
function onTerminal(
  dir: string,
  columns: number,
  args: string[],
  keys: { when: RegExp; type: string; check?: (all: string) => void }[] = [],
): Promise<Screen> {
  const { CI: _ci, NO_COLOR: _noColor, ...env } = process.env
  const command = `stty cols ${columns} rows 40; exec ${process.execPath} ${forkliftBin} ${args.join(' ')}`
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: dir,
      // A terminal names itself; listr2 picks its figures from it.
      env: { ...env, TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let raw = ''
    const pending = [...keys]
    const timer = setTimeout(() => child.kill(), 60_000)
    child.stdout.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8')
      const next = pending[0]
      if (next?.when.test(strip(raw))) {
        pending.shift()
        try {
          next.check?.(strip(raw))
        } catch (error) {
          child.kill()
          reject(error)
          return
        }
        child.stdin.write(next.type)
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      // The live view redraws from column 1 after erasing; the last such redraw is what stays.
      const last = raw.lastIndexOf('\x1b[G')
      const final = strip(last < 0 ? raw : raw.slice(last))
        .replace(/ \d+(?:\.\d+)?m?s$/gm, ' TIME')
        .split('\n')
      resolve({ code, all: strip(raw), final })
    })
  })
}

/** Assert that `expected` appears as a run of consecutive lines, found by its first line. */
function assertLines(lines: string[], expected: string[]): void {
  const at = lines.indexOf(expected[0]!)
  assert.ok(at >= 0, `no line ${JSON.stringify(expected[0])} in:\n${lines.join('\n')}`)
  assert.deepEqual(lines.slice(at, at + expected.length), expected)
}

describe('terminal output', () => {
  let dir: string
  let skip = false
  const motd = (node: string) => join(dir, 'nodes', node, 'motd')
  // The motd holds the secret: its diff says only that the file changed.
  const diffOf = (_path: string, indent: string) => [
    `${indent}(the file holds a secret: its diff is not shown)`,
  ]

  before(async (t) => {
    if (!requireTools(t as never, 'script', 'stty')) {
      skip = true
      return
    }
    dir = await mkdtemp(join(tmpdir(), 'forklift-tty-'))
    await writeFile(join(dir, 'forklift.yaml'), yaml)
    await mkdir(join(dir, 'crates', 'two'), { recursive: true })
    await writeFile(join(dir, 'crates', 'two', 'index.js'), crate)
  })
  after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined))

  it('a terminal gets listr2 tasks: group, then phase, then each node with its counts', async (t) => {
    if (skip) return t.skip('no script(1)')
    const screen = (await onTerminal(dir, 100, ['converge'])).all
    assert.match(screen, /^. web \(box\): 0 → 2 node\(s\)$/m)
    assert.match(screen, /^ +. bootstrap$/m)
    assert.match(screen, /^ +. configure$/m)
    assert.match(screen, /^ +. web-1 changed \(2 changed\) (\d+ms|\d+\.\d+s)$/m)
    assert.match(screen, /^ +. web-2 changed \(2 changed\) (\d+ms|\d+\.\d+s)$/m)
    assert.match(screen, /converge done in/)
    const again = (await onTerminal(dir, 100, ['lift'])).all
    assert.match(again, /^ +. web-1 ok \(2 ok\) (\d+ms|\d+\.\d+s)$/m)
  })

  it('a terminal of no width gets plain lines instead', async (t) => {
    if (skip) return t.skip('no script(1)')
    const screen = (await onTerminal(dir, 0, ['lift'])).all
    assert.match(screen, /^\d\d:\d\d:\d\d web-1 +configure ok \(2 ok\)/m)
  })

  it('a dry run lists what would change under its node, with the diff and secrets as ***', async (t) => {
    if (skip) return t.skip('no script(1)')
    await writeFile(motd('web-1'), 'edited by hand\n')
    const screen = await onTerminal(dir, 120, ['lift', '--dry-run'])
    assert.equal(screen.code, 0, screen.all)
    assertLines(screen.final, [
      '  ✔ configure',
      '    ✔ web-1 changed (1 changed, 1 ok) TIME',
      `      › changed file ${motd('web-1')}: would update content`,
      ...diffOf(motd('web-1'), '          '),
      '    ✔ web-2 ok (2 ok) TIME',
    ])
    assert.ok(screen.final.includes('lift (dry run) done in TIME'), screen.final.join('\n'))
    assert.doesNotMatch(screen.all, new RegExp(secret))
    assert.equal(await readFile(motd('web-1'), 'utf8'), 'edited by hand\n')
  })

  it('a dry run in plain lines lists the same, each action under its node', async (t) => {
    if (skip) return t.skip('no script(1)')
    const screen = await onTerminal(dir, 0, ['lift', '--dry-run'])
    const lines = screen.all.split('\n').map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''))
    assertLines(lines, [
      `web-1            changed file ${motd('web-1')}: would update content`,
      ...diffOf(motd('web-1'), '    '),
    ])
    assert.ok(!lines.some((l) => / ok +directory /.test(l)), 'unchanged actions stay out without --verbose')
    assert.doesNotMatch(screen.all, new RegExp(secret))
  })

  it('--verbose shows every action line under its node, diffs included', async (t) => {
    if (skip) return t.skip('no script(1)')
    const screen = await onTerminal(dir, 120, ['lift', '--verbose'])
    assert.equal(screen.code, 0, screen.all)
    const srv = (node: string) => join(dir, 'nodes', node, 'srv')
    assertLines(screen.final, [
      '  ✔ configure',
      '    ✔ web-1 changed (1 changed, 1 ok) TIME',
      `      › changed file ${motd('web-1')}: updated content`,
      ...diffOf(motd('web-1'), '          '),
      `      › ok      directory ${srv('web-1')}: up to date`,
      '    ✔ web-2 ok (2 ok) TIME',
      `      › ok      file ${motd('web-2')}: up to date`,
      `      › ok      directory ${srv('web-2')}: up to date`,
    ])
    assert.doesNotMatch(screen.all, new RegExp(secret))
    const plain = await onTerminal(dir, 0, ['lift', '--verbose'])
    assert.match(
      plain.all,
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d web-2            ok      file ${motd('web-2')}: up to date$`, 'm'),
    )
  })

  it('logs go below the tasks: a dry-run converge says what it would create', async (t) => {
    if (skip) return t.skip('no script(1)')
    const screen = await onTerminal(dir, 120, ['converge', '--dry-run', '--count', 'web=3'])
    assert.equal(screen.code, 0, screen.all)
    assert.equal(screen.final[0], '✔ web (box): 2 → 3 node(s)')
    assertLines(screen.final, [
      '› web: would create 1 and destroy 0 node(s)',
      '',
      'converge (dry run) done in TIME',
      '  web: 2 node(s), 2 ok',
    ])
  })

  it('a failed node keeps its action, exit status and stderr on screen and in the summary', async (t) => {
    if (skip) return t.skip('no script(1)')
    const screen = await onTerminal(dir, 160, ['lift', '--phase', 'broken'])
    assert.equal(screen.code, 1, screen.all)
    const failure = 'exec echo oops >&2; false: exited with status 1: oops (exit 1)'
    assertLines(screen.final, [
      '  ⚠ broken',
      `    ✖ web-1: ${failure}`,
      '          | oops',
      '    ✔ web-2 ok (1 ok) TIME',
    ])
    assertLines(screen.final, [
      'lift failed in TIME',
      '  web: 2 node(s), 1 ok, 1 failed',
      `    web-1 failed in broken: ${failure}`,
      '      | oops',
    ])
  })

  it('Ctrl-C says at once what it does; a second aborts, and the summary still prints', async (t) => {
    if (skip) return t.skip('no script(1)')
    const first = 'interrupted: finishing running scripts, starting nothing new (press Ctrl-C again to abort)'
    const screen = await onTerminal(
      dir,
      120,
      ['lift', '--phase', 'slow'],
      [
        // The slow phase's node tasks have started (a node line under it that is not done).
        { when: /slow\n +\S web-1\n/, type: '\x03' },
        {
          when: new RegExp(`› ${first.replace(/[()]/g, '\\$&')}`),
          type: '\x03',
          check: (all) =>
            assert.doesNotMatch(all, /lift interrupted in/, 'the notice came while the run went on'),
        },
      ],
    )
    assert.equal(screen.code, 1, screen.all)
    assertLines(screen.final, [
      `› ${first}`,
      '› interrupted again: aborting running scripts',
      '',
      'lift interrupted in TIME',
      '  web: 2 node(s), 2 interrupted',
    ])
  })
})
