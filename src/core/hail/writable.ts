import { UsageError } from '../errors.js'

/** Run a step that writes into `folder`; a permission error becomes one clear line for the user. */
export async function permitted<T>(folder: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new UsageError(
        `${folder}: cannot write there (${code}); run as root or choose --state-dir / --profiles-dir`,
      )
    }
    throw error
  }
}
