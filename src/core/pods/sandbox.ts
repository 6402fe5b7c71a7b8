import { PodUsageError } from './errors.js'

const flags = process.allowedNodeEnvironmentFlags

/** Node's flag that turns the permission model on: `--permission` (Node 22.13+, 24) or its Node 20 name. */
export const permissionFlag = flags.has('--permission') ? '--permission' : '--experimental-permission'

/**
 * The node flags of a pod: the permission model with read access to exactly `readable` and nothing
 * else (no writes, child processes, worker threads, native addons or WASI), and a heap limit.
 */
export function sandboxFlags(readable: string[], heapMb: number): string[] {
  const out = [permissionFlag]
  for (const path of readable) {
    // Node 20 reads a comma as a list separator inside this flag.
    if (path.includes(','))
      throw new PodUsageError(`path ${path} has a comma, which Node's permission flags cannot express`)
    out.push(`--allow-fs-read=${path}`)
  }
  out.push(`--max-old-space-size=${heapMb}`, '--preserve-symlinks')
  // Node 20 warns that the permission model is experimental on every start: not the pod's output.
  if (flags.has('--disable-warning')) out.push('--disable-warning=ExperimentalWarning')
  return out
}
