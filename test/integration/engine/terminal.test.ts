import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { forkliftBin } from '../../support/paths.js'
import { requireTools } from '../../support/require.js'

// The live listr2 view on a real pseudo-terminal (util-linux `script`), and its plain fallback.

const run = promisify(execFile)

const yaml = `
providers:
  box: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: box
    count: 2
    crates: [two]
`

const crate = `
export default {
  phases: {
    configure: (ctx) => [
      { type: 'file', path: ctx.node.root + '/motd', content: 'hi\\n' },
      { type: 'directory', path: ctx.node.root + '/srv' },
    ],
  },
}
`

/** Run forklift on a pty of the given width; returns what the terminal received, escapes removed. */
async function onTerminal(dir: string, columns: number, args: string[]): Promise<string> {
  const { CI: _ci, NO_COLOR: _noColor, ...env } = process.env
  const command = `stty cols ${columns} rows 40; exec ${process.execPath} ${forkliftBin} ${args.join(' ')}`
  const { stdout } = await run('script', ['-qfec', command, '/dev/null'], {
    cwd: dir,
    env,
    maxBuffer: 1 << 22,
  })
  return stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')
}

describe('terminal output', () => {
  let dir: string
  let skip = false
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
    const screen = await onTerminal(dir, 100, ['converge'])
    assert.match(screen, /^. web \(box\): 0 → 2 node\(s\)$/m)
    assert.match(screen, /^ +. bootstrap$/m)
    assert.match(screen, /^ +. configure$/m)
    assert.match(screen, /^ +. web-1 changed \(2 changed\) \d+ms$/m)
    assert.match(screen, /^ +. web-2 changed \(2 changed\) \d+ms$/m)
    assert.match(screen, /converge done in/)
    const again = await onTerminal(dir, 100, ['lift'])
    assert.match(again, /^ +. web-1 ok \(2 ok\) \d+ms$/m)
  })

  it('a terminal of no width gets plain lines instead', async (t) => {
    if (skip) return t.skip('no script(1)')
    const screen = await onTerminal(dir, 0, ['lift'])
    assert.match(screen, /^\d\d:\d\d:\d\d web-1 +configure ok \(2 ok\)/m)
  })
})
