import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { NAME_PATTERN } from './config/schema.js'
import { UsageError } from './errors.js'

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(path)))
    else out.push(path)
  }
  return out
}

/** Names of the templates `forklift init --template` accepts. */
export async function listTemplates(templatesDir: string): Promise<string[]> {
  const entries = await readdir(templatesDir, { withFileTypes: true })
  return entries.filter((e) => e.isDirectory() && e.name !== 'hail').map((e) => e.name)
}

/** The provider type a plugin package named NAME brings: the name without scope and `forklift-provider-`. */
export function providerTypeName(name: string): string {
  const bare = name.replace(/^@[^/]+\//, '')
  return bare.replace(/^forklift-(provider|plugin)-/, '') || bare
}

/** A project name goes into forklift.yaml as is: a plain word, no path or YAML syntax. */
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
/** npm's rules for a new package's name: lowercase, URL-safe, an optional scope. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/

/** Refuse, as a usage error, a NAME that cannot name what TEMPLATE writes (FROM says where it came from). */
export function checkTemplateName(template: string, name: string, from: string): void {
  const bad = (rule: string) => new UsageError(`${from} ${JSON.stringify(name)} is not a valid name: ${rule}`)
  if (template === 'provider-plugin') {
    if (name.length > 214 || !PACKAGE_NAME.test(name))
      throw bad('a plugin is an npm package: lowercase letters, digits, - . _ ~ and an optional @scope/')
    if (!NAME_PATTERN.test(providerTypeName(name)))
      throw bad(
        `its provider type "${providerTypeName(name)}" must be lowercase letters, digits and dashes, starting with a letter`,
      )
    return
  }
  if (name.length > 214 || !PROJECT_NAME.test(name))
    throw bad('use letters, digits, dots, dashes and underscores, starting with a letter or digit')
}

/** The placeholders templates use: `{ name: 'x', 'forklift-version': '1' }` → `__NAME__`, `__FORKLIFT_VERSION__`. */
function placeholders(vars: Record<string, string>): [string, string][] {
  return Object.entries(vars).map(([key, value]) => [`__${key.toUpperCase().replaceAll('-', '_')}__`, value])
}

/**
 * Copy a template folder into target, replacing each `__VAR__` placeholder with its value (`__NAME__`
 * with the name); `generated` files (relative path → content) are written beside them. Refuses before
 * writing anything when a file would be overwritten. Returns the files written, relative to target.
 */
export async function writeTemplate(
  templateDir: string,
  target: string,
  vars: { name: string } & Record<string, string>,
  generated: Record<string, string> = {},
): Promise<string[]> {
  const replacements = placeholders(vars)
  const files = await listFiles(templateDir)
  const plan: { file?: string; content?: string; rel: string; dest: string }[] = files.map((file) => {
    // npm drops files named .gitignore from packages, so templates keep them as `_gitignore`.
    const rel = relative(templateDir, file).replace(/(^|\/)_gitignore$/, '$1.gitignore')
    return { file, rel, dest: join(target, rel) }
  })
  for (const [rel, content] of Object.entries(generated)) plan.push({ content, rel, dest: join(target, rel) })
  // A file where a folder must go is refused like a clash, before anything is written.
  const folders = new Set([target])
  for (const { rel } of plan)
    for (let up = dirname(rel); up !== '.'; up = dirname(up)) folders.add(join(target, up))
  for (const folder of [...folders].sort()) {
    const found = await stat(folder).catch(() => null)
    if (found && !found.isDirectory())
      throw new UsageError(`${folder}: exists and is not a folder; nothing was written`)
  }
  const clashes: string[] = []
  for (const { rel, dest } of plan) if (await stat(dest).catch(() => null)) clashes.push(rel)
  if (clashes.length)
    throw new UsageError(`${target}: would overwrite ${clashes.join(', ')}; nothing was written`)
  for (const { file, content: given, dest } of plan) {
    await mkdir(dirname(dest), { recursive: true })
    if (file === undefined) {
      await writeFile(dest, given ?? '', { mode: 0o644 })
      continue
    }
    let content = await readFile(file, 'utf8')
    for (const [placeholder, value] of replacements) content = content.replaceAll(placeholder, value)
    await writeFile(dest, content, { mode: (await stat(file)).mode })
  }
  return plan.map((p) => p.rel)
}
