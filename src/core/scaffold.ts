import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
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

/** The placeholders templates use: `{ name: 'x', 'forklift-version': '1' }` → `__NAME__`, `__FORKLIFT_VERSION__`. */
function placeholders(vars: Record<string, string>): [string, string][] {
  return Object.entries(vars).map(([key, value]) => [`__${key.toUpperCase().replaceAll('-', '_')}__`, value])
}

/**
 * Copy a template folder into target, replacing each `__VAR__` placeholder with its value (`__NAME__`
 * with the name). Refuses before writing anything when a file would be overwritten. Returns the files
 * written, relative to target.
 */
export async function writeTemplate(
  templateDir: string,
  target: string,
  vars: { name: string } & Record<string, string>,
): Promise<string[]> {
  const replacements = placeholders(vars)
  const files = await listFiles(templateDir)
  const plan = files.map((file) => {
    // npm drops files named .gitignore from packages, so templates keep them as `_gitignore`.
    const rel = relative(templateDir, file).replace(/(^|\/)_gitignore$/, '$1.gitignore')
    return { file, rel, dest: join(target, rel) }
  })
  const clashes: string[] = []
  for (const { rel, dest } of plan) if (await stat(dest).catch(() => null)) clashes.push(rel)
  if (clashes.length)
    throw new UsageError(`${target}: would overwrite ${clashes.join(', ')}; nothing was written`)
  for (const { file, dest } of plan) {
    await mkdir(dirname(dest), { recursive: true })
    let content = await readFile(file, 'utf8')
    for (const [placeholder, value] of replacements) content = content.replaceAll(placeholder, value)
    await writeFile(dest, content, { mode: (await stat(file)).mode })
  }
  return plan.map((p) => p.rel)
}
