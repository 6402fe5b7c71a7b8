import { StringDecoder } from 'node:string_decoder'
import { TransportError } from './types.js'

/** Collects a stream's bytes and decodes them as UTF-8 once, so characters split across chunks stay whole. */
export function collector(onChunk?: (chunk: string) => void) {
  const chunks: Buffer[] = []
  const decoder = onChunk ? new StringDecoder('utf8') : undefined
  return {
    push(chunk: Buffer | string): void {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      chunks.push(buffer)
      if (decoder && onChunk) {
        const text = decoder.write(buffer)
        if (text) onChunk(text)
      }
    },
    text(): string {
      return Buffer.concat(chunks).toString('utf8')
    },
  }
}

/** The first stderr line of a script run by shellCommand: `forklift-pid PID`. */
export const PID_LINE = 'forklift-pid'

/**
 * The command that runs a script read from stdin, as root through sudo when asked and needed. It first
 * says its pid (PID_LINE, on stderr), which leads the session's process group: what an abort signals.
 */
export function shellCommand(sudo: boolean): string {
  return `exec sh -c 'echo ${PID_LINE} $$ >&2; exec ${sudo ? 'sudo -n sh -s' : 'sh -s'}'`
}

/** The command that sends `signal` to the process group `pid` leads (as root through sudo when asked). */
export function killCommand(pid: number, signal: 'TERM' | 'KILL', sudo: boolean): string {
  return sudo ? `sudo -n sh -c 'kill -${signal} -${pid}'` : `kill -${signal} -${pid}`
}

/**
 * When sudo itself refused (so the script never ran), the error that says why; else undefined.
 * sudo reports on its first stderr line with exit status 1; a missing sudo gives 127 from the shell.
 */
export function sudoRefusal(
  result: { stdout: string; stderr: string; code: number | null },
  label: string,
  user: string,
): TransportError | undefined {
  if (result.stdout !== '') return undefined
  const firstLine = result.stderr.split('\n')[0]!.trim()
  if (result.code === 127 && /\bsudo: (command )?not found|sudo: No such file/.test(firstLine)) {
    return new TransportError(`${label}: sudo is not installed there; install it or log in as root`, 'sudo')
  }
  if (result.code !== 1 || !firstLine.startsWith('sudo: ')) return undefined
  if (/password is required|terminal is required/.test(firstLine)) {
    return new TransportError(
      `${label}: sudo asks ${user} for a password; allow it without one (NOPASSWD in /etc/sudoers.d) or log in as root`,
      'sudo',
    )
  }
  if (/not in the sudoers|not allowed|may not run sudo/.test(firstLine)) {
    return new TransportError(`${label}: ${user} may not use sudo there (${firstLine})`, 'sudo')
  }
  return undefined
}
