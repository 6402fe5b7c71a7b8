import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** One attempt: connect and read the server's identification line (`SSH-2.0-…`). */
export function readSshBanner(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    let received = ''
    const done = (error: Error | null, banner?: string) => {
      socket.destroy()
      clearTimeout(timer)
      if (error) reject(error)
      else resolve(banner!)
    }
    const timer = setTimeout(() => done(new Error(`no SSH banner within ${timeoutMs} ms`)), timeoutMs)
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      received += chunk
      // RFC 4253: the server may send other lines before the one starting with "SSH-".
      for (const line of received.split('\n').slice(0, -1)) {
        if (line.startsWith('SSH-')) return done(null, line.trim())
      }
      if (received.length > 8192) done(new Error('no SSH identification line'))
    })
    socket.on('error', (error) => done(error))
    socket.on('end', () => done(new Error('connection closed before the SSH banner')))
  })
}

/** Wait until SSH answers on host:port; resolves with the banner, rejects with the last failure after `timeoutMs`. */
export async function waitForSsh(
  host: string,
  port: number,
  options: { timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<string> {
  const deadline = Date.now() + options.timeoutMs
  let last: Error = new Error('not tried')
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted()
    try {
      return await readSshBanner(host, port, Math.min(10_000, Math.max(1000, deadline - Date.now())))
    } catch (error) {
      last = error as Error
    }
    const left = deadline - Date.now()
    if (left <= 0) break
    await sleep(
      Math.min(options.intervalMs, left),
      undefined,
      options.signal ? { signal: options.signal } : {},
    )
  }
  throw new Error(
    `SSH did not answer on ${host}:${port} within ${Math.round(options.timeoutMs / 1000)} s (${last.message})`,
  )
}
