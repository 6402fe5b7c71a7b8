import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { errorMessage } from '../errors.js'

/** Write JSON so readers see the old file or the new one, never a part: temp file, fsync, rename. */
export async function writeJsonAtomic(path: string, data: unknown): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  const handle = await open(temp, 'w', 0o644)
  try {
    await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

/** Read a JSON file; undefined when it does not exist. A corrupt file is an error naming it. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    return JSON.parse(text) as T
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${errorMessage(error)})`)
  }
}
