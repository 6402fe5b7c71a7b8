import { spawn } from 'node:child_process'
import { Duplex } from 'node:stream'
import type { ResolvedHost } from './ssh-config.js'

/** A ProxyCommand with OpenSSH's tokens expanded: %h host, %p port, %r user, %n the name asked for, %% a percent. */
export function expandProxyCommand(command: string, host: ResolvedHost): string {
  const tokens: Record<string, string> = {
    '%': '%',
    h: host.hostname,
    p: String(host.port),
    r: host.user,
    n: host.alias,
  }
  return command.replace(/%(.)/g, (whole, c: string) => tokens[c] ?? whole)
}

/** A running ProxyCommand: the stream SSH speaks over, and how the command ended. */
export interface ProxyCommand {
  socket: Duplex
  /**
   * Settles once the command has ended: why it failed (exit status and the last of its stderr), or
   * undefined when it exited 0 or was ended by Forklift. Destroy the socket first, or it may never end.
   */
  failure: Promise<string | undefined>
}

/**
 * Run a ProxyCommand (through `sh -c`, as ssh runs it) and give its stdin and stdout as one stream
 * for SSH to speak over. When the stream is destroyed the command is ended.
 */
export function proxyCommandSocket(command: string, host: ResolvedHost): ProxyCommand {
  const expanded = expandProxyCommand(command, host)
  // As ssh runs it: `exec`, so that the command is the process Forklift ends.
  const child = spawn('/bin/sh', ['-c', `exec ${expanded}`], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000)
  })
  // Writes after the command ended are its failure to report, not an unhandled EPIPE.
  child.stdin.on('error', () => {})
  let endedByUs = false
  // Its output ends the stream's readable side when it ends, whenever SSH gets to read it: a command
  // that fails at once is seen as a closed connection, never as a lost event.
  const socket = new Duplex({
    read: () => {
      child.stdout.resume()
    },
    write: (chunk: Buffer, _encoding, callback) => {
      child.stdin.write(chunk, () => callback())
    },
    final: (callback) => {
      child.stdin.end()
      callback()
    },
    destroy: (error, callback) => {
      if (child.exitCode === null && child.signalCode === null) {
        endedByUs = true
        child.kill('SIGTERM')
      }
      callback(error)
    },
  })
  child.stdout.on('data', (chunk: Buffer) => {
    if (!socket.push(chunk)) child.stdout.pause()
  })
  child.stdout.on('end', () => socket.push(null))
  const failure = new Promise<string | undefined>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      resolve(`cannot run ProxyCommand: ${error.code ?? error.message}`),
    )
    child.on('close', (code, signal) => {
      if (code === 0 || endedByUs) return resolve(undefined)
      const status = code !== null ? `exit ${code}` : `signal ${signal}`
      const said = stderr.trim().split('\n').slice(-3).join(' ')
      resolve(`ProxyCommand '${expanded}' failed (${status})${said ? `: ${said}` : ''}`)
    })
  })
  return { socket, failure }
}
