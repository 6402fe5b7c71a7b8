import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { after, describe, it } from 'node:test'
import ts from 'typescript'
import { type LoadOptions, loadConfig } from '../../../src/core/config/load.js'
import { manifestSchema } from '../../../src/core/hail/manifest.js'
import type { RunResult } from '../../../src/core/model/results.js'
import { providerTypesOf } from '../../../src/core/project.js'
import { collectProviderTypes } from '../../../src/core/providers/registry.js'
import { runCli } from '../../support/cli.js'
import { type LocalRegistry, startLocalRegistry } from '../../support/local-registry.js'
import { type CodeBlock, codeBlocks } from '../../support/markdown.js'
import { repoRoot } from '../../support/paths.js'
import { runProcess } from '../../support/process.js'
import { shellCommands } from '../../support/shell-words.js'

/*
 * Every fenced code block of README.md and docs/*.md is run or checked here, or marked as an excerpt
 * (`<!-- excerpt -->` on the line above its fence). By language:
 *
 *   yaml        a complete forklift.yaml: loaded and validated as `forklift` would (schema, provider
 *               settings, counts), with every file it names created empty beside it.
 *   js, ts      `// crates/NAME/index.js` on the first line: a crate, converged on two folder nodes
 *               (the doc's `# forklift.yaml` block is the project when it has one), then lifted again
 *               to show it changes nothing. Other blocks run as ES modules (ts transpiled) with
 *               `forklift` resolving to this package; a line `EXPR // → VALUE` asserts EXPR deep-equals VALUE.
 *   sh          command by command in a scratch folder: `forklift …` must name a command and flags that
 *               exist (and runs when it is one that only writes into that folder), `npm run`/`npm test`
 *               a script of the package.json there, any other program must be installed.
 *   json        a `--json` report (or error object) is compared key by key with a real one; a hail manifest is checked
 *               with hail's own schema; a plugin's package.json with what `forklift init` writes.
 *
 * Anything else must be an excerpt. The totals are printed at the end.
 */

const docs = [
  join(repoRoot, 'README.md'),
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(repoRoot, 'docs', f)),
]

const rel = (file: string) => file.slice(repoRoot.length)
const where = (block: CodeBlock) => `${rel(block.file)}:${block.line}`

type Outcome = 'run' | 'validated' | 'checked'
const tally = { run: 0, validated: 0, checked: 0, excerpt: 0 }
const scratch: string[] = []
let registry: Promise<LocalRegistry> | undefined
after(async () => {
  await (await registry)?.close()
  for (const dir of scratch) await rm(dir, { recursive: true, force: true })
  const total = tally.run + tally.validated + tally.checked + tally.excerpt
  console.log(
    `doc blocks: ${total}: ${tally.run} run, ${tally.validated} validated, ${tally.checked} checked, ${tally.excerpt} excerpts`,
  )
})

async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `forklift-docs-${prefix}-`))
  scratch.push(dir)
  return dir
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), content)
  }
}

/** `// crates/NAME/index.js` (or `# forklift.yaml`) on a block's first line: the project file it is. */
function fileNamed(block: CodeBlock): string | undefined {
  const first = block.body.split('\n', 1)[0]!
  return /^(?:\/\/|#)\s*([\w./-]+\.(?:js|mjs|ts|yaml|ini))\s*$/.exec(first)?.[1]
}

// --- yaml -------------------------------------------------------------------------------------------

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string
  scripts: Record<string, string>
  forklift: { providers: Record<string, string> }
}
const declared = collectProviderTypes([
  { name: 'forklift', version: manifest.version, root: repoRoot, providers: manifest.forklift.providers },
])
const providerTypes = providerTypesOf(declared)

/** Local paths a forklift.yaml names, so that the ones the loader reads exist. */
function namedFiles(yaml: string): string[] {
  const keys = /(?:inventory|identity-file|local-file|localFile|private-key-path):\s*([^\s#,}]+)/g
  return [...yaml.matchAll(keys)].map((m) => m[1]!).filter((p) => !p.startsWith('/') && !p.startsWith('~'))
}

async function validateYaml(block: CodeBlock): Promise<Outcome> {
  const dir = await scratchDir('yaml')
  for (const path of namedFiles(block.body)) await writeFiles(dir, { [path]: '' })
  await writeFile(join(dir, 'forklift.yaml'), block.body)
  await loadConfig(join(dir, 'forklift.yaml'), {
    providerTypes,
    env: { API_TOKEN: 'doc-token-value' },
  }).catch((error: Error) => {
    throw new Error(`${where(block)}: not a valid forklift.yaml: ${error.message}`)
  })
  return 'validated'
}

// --- crates and modules -----------------------------------------------------------------------------

const folderProject = (crate: string) => `name: docs
providers:
  here: { type: local, settings: { root: nodes } }
groups:
  web: { provider: here, count: 2, crates: [${crate}] }
crates: { path: [crates] }
`

async function liftCrate(block: CodeBlock, path: string, blocks: CodeBlock[]): Promise<Outcome> {
  const crate = /^crates\/([\w.-]+)\//.exec(path)?.[1]
  assert.ok(crate, `${where(block)}: a crate file is crates/NAME/index.js, not ${path}`)
  const dir = await scratchDir('crate')
  // The doc's own project and crate files, when it shows them; else one group of two folder nodes.
  const files: Record<string, string> = { 'forklift.yaml': folderProject(crate) }
  for (const other of blocks) {
    const name = fileNamed(other)
    if (name && !other.excerpt && other.file === block.file) files[name] = other.body
  }
  files[path] = block.body
  await writeFiles(dir, files)
  const first = await runCli(['converge', '--json'], { cwd: dir })
  assert.equal(
    first.code,
    0,
    `${where(block)}: converging the crate failed:\n${first.stdout}\n${first.stderr}`,
  )
  const again = await runCli(['lift', '--json'], { cwd: dir })
  assert.equal(
    again.code,
    0,
    `${where(block)}: lifting the crate again failed:\n${again.stdout}\n${again.stderr}`,
  )
  const changed = (JSON.parse(again.stdout) as RunResult).groups
    .flatMap((g) => g.phases)
    .flatMap((p) =>
      p.actions.filter((a) => a.status !== 'ok').map((a) => `${p.node} ${a.summary}: ${a.status}`),
    )
  assert.deepEqual(changed, [], `${where(block)}: a second lift of the crate is not idempotent`)
  return 'run'
}

/** Rewrite `EXPR // → VALUE` lines (or EXPR, then `// → VALUE` on the next line) into assertions. */
function withAssertions(code: string): string {
  const out: string[] = []
  const assertion = (indent: string, expr: string, expected: string) =>
    `${indent}__docAssert.deepStrictEqual(await (${expr.replace(/;\s*$/, '')}), (${expected}));`
  for (const line of code.split('\n')) {
    const alone = /^\s*\/\/\s*→\s*(.+)$/.exec(line)
    const inline = /^(\s*)(.*?)\s*\/\/\s*→\s*(.+)$/.exec(line)
    if (alone) {
      const previous = /^(\s*)(.*)$/.exec(out.pop() ?? '')!
      out.push(assertion(previous[1]!, previous[2]!, alone[1]!))
    } else if (inline?.[2]) out.push(assertion(inline[1]!, inline[2], inline[3]!))
    else out.push(line)
  }
  return `import __docAssert from 'node:assert/strict'\n${out.join('\n')}`
}

async function runModule(block: CodeBlock): Promise<Outcome> {
  const dir = await scratchDir('module')
  await mkdir(join(dir, 'node_modules'))
  await symlink(repoRoot, join(dir, 'node_modules', 'forklift'))
  let code = withAssertions(block.body)
  if (block.lang === 'ts')
    code = ts.transpileModule(code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText
  await writeFile(join(dir, 'block.mjs'), code)
  // Dependencies a block's pods ask for come from this repository's node_modules, never the network.
  registry ??= startLocalRegistry()
  const env = {
    ...process.env,
    npm_config_registry: (await registry).url,
    npm_config_cache: join(dir, 'npm-cache'),
    XDG_CACHE_HOME: join(dir, 'cache'),
  }
  const result = await runProcess(process.execPath, [join(dir, 'block.mjs')], { cwd: dir, env })
  assert.equal(result.code, 0, `${where(block)}: the block failed when run:\n${result.stderr}`)
  return 'run'
}

// --- sh ---------------------------------------------------------------------------------------------

interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  allowNo?: boolean
}
type ManifestCommand = { flags: Record<string, ManifestFlag> }

const commands = new Map<string, ManifestCommand>()
for (const file of [
  join(repoRoot, 'oclif.manifest.json'),
  ...['plugin-plugins', 'plugin-help'].map((p) =>
    join(repoRoot, 'node_modules', '@oclif', p, 'oclif.manifest.json'),
  ),
]) {
  const m = JSON.parse(readFileSync(file, 'utf8')) as { commands: Record<string, ManifestCommand> }
  for (const [id, command] of Object.entries(m.commands)) commands.set(id, command)
}

/** Commands that only write into the folder they run in (or print): run for real there. */
const harmless = new Set(['init', 'schema', 'providers', 'hail:unit', 'pod:ls', '--version', '--help'])

/** Check `forklift ARGS` against the CLI's manifest: the command exists and knows each flag. Returns its id. */
function checkForklift(words: string[], block: CodeBlock): string {
  const place = `${where(block)}: \`${words.join(' ')}\``
  if (words[1] === '--version' || words[1] === '--help') return words[1]
  let id = ''
  let i = 1
  while (i < words.length && !words[i]!.startsWith('-')) {
    const next = id ? `${id}:${words[i]}` : words[i]!
    if (!commands.has(next)) break
    id = next
    i++
  }
  const command = commands.get(id)
  assert.ok(command, `${place}: no such command`)
  for (; i < words.length; i++) {
    const word = words[i]!
    if (word === '--') break
    if (!word.startsWith('-') || word === '-') continue
    const [name, inline] = word.startsWith('--') ? word.slice(2).split('=', 2) : [word.slice(1, 2), undefined]
    const flag = Object.values(command.flags).find((f) =>
      word.startsWith('--') ? f.name === name || (f.allowNo && `no-${f.name}` === name) : f.char === name,
    )
    assert.ok(flag, `${place}: command "${id.replace(/:/g, ' ')}" has no flag ${word.split('=')[0]}`)
    if (flag.type === 'option' && inline === undefined && word.length <= 2 + (name?.length ?? 0)) i++
  }
  return id
}

async function runSh(block: CodeBlock): Promise<Outcome> {
  const home = await scratchDir('sh')
  let cwd = home
  let ran = false
  for (const command of shellCommands(block.body)) {
    const [program, ...args] = command.words
    if (!program) continue
    const placeholder = command.words.some((w) => w.includes('…') || w.includes('/path/to/'))
    if (program === 'forklift') {
      const id = checkForklift(command.words, block)
      if (harmless.has(id) && !placeholder) {
        const result = await runCli(args, { cwd, env: { HOME: home } })
        assert.equal(result.code, 0, `${where(block)}: \`${command.line.trim()}\` failed:\n${result.stderr}`)
        for (const r of command.redirects.filter((r) => r.op === '>' || r.op === '>>'))
          assert.ok(
            result.stdout.length > 0,
            `${where(block)}: \`${command.line.trim()}\` wrote nothing to ${r.target}`,
          )
        ran = true
      }
    } else if (program === 'cd') {
      const target = join(cwd, args[0] ?? '')
      if (existsSync(target)) cwd = target
    } else if (program === 'npm' && (args[0] === 'run' || args[0] === 'test')) {
      const script = args[0] === 'test' ? 'test' : args[1]!
      const pkg = join(cwd === home ? repoRoot : cwd, 'package.json')
      const scripts =
        (JSON.parse(await readFile(pkg, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {}
      assert.ok(
        script in scripts,
        `${where(block)}: \`${command.line.trim()}\`: no script "${script}" in ${pkg}`,
      )
    } else if (!['export', 'npm', 'printf', 'echo'].includes(program)) {
      const found = (process.env.PATH ?? '')
        .split(delimiter)
        .some((d) => existsSync(join(d, program)) && statSync(join(d, program)).isFile())
      assert.ok(
        found,
        `${where(block)}: \`${command.line.trim()}\`: ${program} is not a program on this machine`,
      )
    }
  }
  return ran ? 'run' : 'checked'
}

// --- json -------------------------------------------------------------------------------------------

/** Keys whose values differ from run to run: only their type is compared. */
const volatile = new Set(['startedAt', 'durationMs', 'address'])

/** Compare a documented JSON value with a real one: same keys everywhere, same types, same fixed values. */
function sameShape(doc: unknown, real: unknown, path: string, problems: string[]): void {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)
  if (kind(doc) !== kind(real)) {
    problems.push(`${path}: the doc shows ${kind(doc)}, forklift prints ${kind(real)}`)
    return
  }
  if (Array.isArray(doc) && Array.isArray(real)) {
    // Phase entries come in the order they ended, which nodes running side by side do not fix.
    if (path.endsWith('.phases')) {
      const order = (e: unknown) =>
        JSON.stringify([(e as { node?: string }).node, (e as { phase?: string }).phase])
      doc = [...doc].sort((a, b) => order(a).localeCompare(order(b)))
      real = [...real].sort((a, b) => order(a).localeCompare(order(b)))
    }
    assert.ok(Array.isArray(doc) && Array.isArray(real))
    if (doc.length !== real.length)
      problems.push(`${path}: the doc shows ${doc.length} items, forklift prints ${real.length}`)
    for (let i = 0; i < Math.min(doc.length, real.length); i++)
      sameShape(doc[i], real[i], `${path}[${i}]`, problems)
    return
  }
  if (kind(doc) === 'object') {
    const d = doc as Record<string, unknown>
    const r = real as Record<string, unknown>
    for (const key of Object.keys(r))
      if (!(key in d)) problems.push(`${path}.${key}: printed but not in the doc`)
    for (const key of Object.keys(d)) {
      if (!(key in r)) problems.push(`${path}.${key}: in the doc but not printed`)
      else if (!volatile.has(key)) sameShape(d[key], r[key], `${path}.${key}`, problems)
    }
    return
  }
  if (doc !== real)
    problems.push(`${path}: the doc shows ${JSON.stringify(doc)}, forklift prints ${JSON.stringify(real)}`)
}

/** A real `lift --json` of the run docs/report.md shows: web-1 fails at its exec, web-2 is left by --max-fail. */
async function realReport(): Promise<unknown> {
  const dir = await scratchDir('report')
  const yaml = (phases: string) => `providers:
  lab: { type: local, settings: { root: nodes } }
groups:
  web:
    provider: lab
    count: 2
${phases}`
  await writeFiles(dir, { 'forklift.yaml': yaml('') })
  const converge = await runCli(['converge'], { cwd: dir })
  assert.equal(converge.code, 0, converge.stderr)
  await writeFiles(dir, {
    'forklift.yaml': yaml(`    phases:
      configure:
        - { type: file, path: /etc/app.conf }
        - { type: exec, script: "echo broken >&2; exit 3" }
        - { type: file, path: /etc/after }
`),
    'nodes/web-1/etc/app.conf': '',
    'nodes/web-2/etc/app.conf': '',
  })
  const result = await runCli(['lift', '--json', '--batch', '1', '--max-fail', '0'], { cwd: dir })
  assert.equal(result.code, 1, result.stderr)
  // The doc names the exec as a project would write it, and paths as on a machine: the rest is this run.
  return JSON.parse(
    result.stdout
      .replaceAll('echo broken >&2; exit 3', './migrate')
      .replace(new RegExp(`${dir}/nodes/web-\\d`, 'g'), ''),
  )
}

/** A real `lift --json` stopped by the config error docs/report.md shows: `count: lots`. */
async function realError(): Promise<unknown> {
  const dir = await scratchDir('error')
  await writeFiles(dir, {
    'forklift.yaml':
      'providers:\n  lab: { type: local }\ngroups:\n  web:\n    provider: lab\n    count: lots\n',
  })
  const result = await runCli(['lift', '--json'], { cwd: dir })
  assert.equal(result.code, 2, result.stderr)
  return JSON.parse(result.stdout)
}

async function checkJson(block: CodeBlock): Promise<Outcome> {
  const value = JSON.parse(block.body) as Record<string, unknown>
  if ('command' in value && 'groups' in value) {
    const problems: string[] = []
    const real = await realReport()
    sameShape(value, real, '$', problems)
    assert.deepEqual(problems, [], `${where(block)}: the report differs from a real one`)
    return 'run'
  }
  if (Object.keys(value).join() === 'error') {
    const problems: string[] = []
    sameShape(value, await realError(), '$', problems)
    assert.deepEqual(problems, [], `${where(block)}: the error object differs from a real one`)
    return 'run'
  }
  if ('sha256' in value && 'url' in value) {
    const parsed = manifestSchema.safeParse(value)
    assert.ok(parsed.success, `${where(block)}: not a manifest hail accepts: ${parsed.error?.message}`)
    return 'validated'
  }
  if ('forklift' in value && 'oclif' in value) {
    const dir = await scratchDir('plugin')
    const init = await runCli(['init', '--template', 'provider-plugin', join(dir, String(value.name))])
    assert.equal(init.code, 0, init.stderr)
    const written = JSON.parse(
      await readFile(join(dir, String(value.name), 'package.json'), 'utf8'),
    ) as Record<string, unknown>
    for (const [key, shown] of Object.entries(value))
      assert.deepEqual(written[key], shown, `${where(block)}: "${key}" is not what forklift init writes`)
    return 'validated'
  }
  assert.fail(
    `${where(block)}: a JSON block the doc test does not know how to check: mark it <!-- excerpt -->`,
  )
}

// --- the tests --------------------------------------------------------------------------------------

async function check(block: CodeBlock, blocks: CodeBlock[]): Promise<Outcome | 'excerpt'> {
  if (block.excerpt) return 'excerpt'
  switch (block.lang) {
    case 'yaml':
    case 'yml':
      return validateYaml(block)
    case 'js':
    case 'mjs':
    case 'ts': {
      const path = fileNamed(block)
      return path?.startsWith('crates/') ? liftCrate(block, path, blocks) : runModule(block)
    }
    case 'sh':
    case 'bash':
    case 'shell':
      return runSh(block)
    case 'json':
      return checkJson(block)
    default:
      assert.fail(
        `${where(block)}: a \`${block.lang || 'plain'}\` block is neither run nor checked: mark it <!-- excerpt --> on the line above its fence, or give it a language the doc test runs`,
      )
  }
}

for (const file of docs) {
  const blocks = codeBlocks(file, readFileSync(file, 'utf8'))
  describe(rel(file), { concurrency: 2 }, () => {
    for (const block of blocks) {
      it(`line ${block.line}: ${block.excerpt ? 'excerpt' : block.lang || 'plain'}`, async () => {
        tally[await check(block, blocks)]++
      })
    }
  })
}
