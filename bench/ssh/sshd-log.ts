import { open, stat } from 'node:fs/promises'

/** SSH connections and session channels one node's sshd saw. */
export interface SshdCounts {
  connections: number
  channels: number
}

/** Where each node's log ends now, so a later count covers only what came after. */
export async function logMarks(files: string[]): Promise<number[]> {
  return Promise.all(files.map((f) => stat(f).then((s) => s.size)))
}

/**
 * Count, in the log text after each mark, sshd's own lines at LogLevel VERBOSE: "Accepted publickey"
 * is one logged-in connection, "Starting session:" one session channel running a command, a shell or
 * a subsystem (sftp).
 */
export async function countSince(files: string[], marks: number[]): Promise<SshdCounts[]> {
  return Promise.all(
    files.map(async (file, i) => {
      const handle = await open(file, 'r')
      try {
        const { size } = await handle.stat()
        const start = marks[i] ?? 0
        const buffer = Buffer.alloc(size - start)
        await handle.read(buffer, 0, buffer.length, start)
        const lines = buffer.toString('utf8').split('\n')
        return {
          connections: lines.filter((l) => l.startsWith('Accepted publickey for ')).length,
          channels: lines.filter((l) => l.startsWith('Starting session: ')).length,
        }
      } finally {
        await handle.close()
      }
    }),
  )
}
