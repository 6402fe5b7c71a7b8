import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { UsageError } from './project.js'

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

/**
 * Copy a template folder into target, replacing `__NAME__` with the project name. Refuses before writing
 * anything when a file would be overwritten. Returns the files written, relative to target.
 */
export async function writeTemplate(
  templateDir: string,
  target: string,
  vars: { name: string },
): Promise<string[]> {
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
    const content = (await readFile(file, 'utf8')).replaceAll('__NAME__', vars.name)
    await writeFile(dest, content, { mode: (await stat(file)).mode })
  }
  return plan.map((p) => p.rel)
}
