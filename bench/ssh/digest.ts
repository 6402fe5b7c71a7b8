import { createHash } from 'node:crypto'
import { lstat, readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * What a contender left in one scratch folder: every entry's path, type, mode and content hash (or
 * link target), so the three contenders can be checked to produce the same files.
 */
export async function digestTree(root: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string, rel: string) => {
    const names = (await readdir(dir).catch(() => [] as string[])).sort()
    for (const name of names) {
      const path = join(dir, name)
      const at = rel ? `${rel}/${name}` : name
      const info = await lstat(path)
      const mode = (info.mode & 0o7777).toString(8)
      if (info.isSymbolicLink()) out.push(`${at} -> ${await readlink(path)}`)
      else if (info.isDirectory()) {
        out.push(`${at}/ ${mode}`)
        await walk(path, at)
      } else {
        const hash = createHash('sha256')
          .update(await readFile(path))
          .digest('hex')
          .slice(0, 16)
        out.push(`${at} ${mode} ${hash}`)
      }
    }
  }
  await walk(root, '')
  return out
}

/** The entries of `actual` and `expected` that differ, marked - (missing) and + (extra). */
export function digestDiff(expected: string[], actual: string[]): string[] {
  const want = new Set(expected)
  const got = new Set(actual)
  return [
    ...expected.filter((e) => !got.has(e)).map((e) => `- ${e}`),
    ...actual.filter((a) => !want.has(a)).map((a) => `+ ${a}`),
  ]
}
