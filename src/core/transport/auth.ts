import { existsSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import ssh2, { type AnyAuthMethod, type AuthHandlerMiddleware } from 'ssh2'
import { errorMessage } from '../errors.js'
import { TransportError } from './types.js'

/** Where keys come from, in the order they are tried. */
export interface KeySources {
  /** The node's own identity file: must be readable. */
  nodeIdentityFile?: string
  /** IdentityFile lines of the ssh config (missing ones are skipped, as ssh does). */
  configIdentityFiles: string[]
  /** ssh-agent socket; skipped when absent. */
  agent?: string
  /** Default identity files (~/.ssh/id_ed25519 …), used when they exist. */
  defaultIdentityFiles: string[]
}

/** One way to log in, with the words used for it in error messages. */
export interface AuthAttempt {
  label: string
  method: AnyAuthMethod
}

/** The identity files ssh uses when none is given: those of ~/.ssh/id_{ed25519,ecdsa,rsa} that exist. */
export function defaultIdentityFiles(home = homedir()): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(home, '.ssh', f)).filter((f) => existsSync(f))
}

/**
 * The login attempts for `username`, in order: node identity file, config IdentityFile, agent,
 * default identity files. Encrypted keys cannot be used without a prompt and are noted as skipped.
 */
export async function authAttempts(
  username: string,
  sources: KeySources,
  nodeLabel: string,
): Promise<{ attempts: AuthAttempt[]; skipped: string[] }> {
  const attempts: AuthAttempt[] = []
  const skipped: string[] = []
  const seen = new Set<string>()

  const addKey = async (file: string, origin: string, required: boolean) => {
    const path = resolve(file)
    if (seen.has(path)) return
    seen.add(path)
    let data: Buffer
    try {
      data = await readFile(path)
    } catch (error) {
      if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw new TransportError(
        `${nodeLabel}: cannot read ${origin} ${path}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`,
        'auth',
      )
    }
    const parsed = ssh2.utils.parseKey(data)
    const key = Array.isArray(parsed) ? parsed[0] : parsed
    if (key instanceof Error || !key || !key.isPrivateKey()) {
      const why = key instanceof Error ? key.message : 'not a private key'
      if (/encrypted/i.test(why)) skipped.push(`${path} (${origin}, encrypted: load it into ssh-agent)`)
      else if (required)
        throw new TransportError(`${nodeLabel}: ${origin} ${path} is not a usable key: ${why}`, 'auth')
      else skipped.push(`${path} (${origin}: ${why})`)
      return
    }
    attempts.push({ label: `key ${path} (${origin})`, method: { type: 'publickey', username, key: data } })
  }

  if (sources.nodeIdentityFile) await addKey(sources.nodeIdentityFile, 'identity file', true)
  for (const file of sources.configIdentityFiles) await addKey(file, 'ssh config IdentityFile', false)
  if (sources.agent) {
    if (isSocket(sources.agent)) {
      attempts.push({
        label: `ssh-agent ${sources.agent}`,
        method: { type: 'agent', username, agent: sources.agent },
      })
    } else {
      skipped.push(`ssh-agent ${sources.agent} (no socket there)`)
    }
  }
  for (const file of sources.defaultIdentityFiles) await addKey(file, 'default identity', false)
  return { attempts, skipped }
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket()
  } catch {
    return false
  }
}

/** What a login attempt went through, for the message when it fails. */
export interface AuthLog {
  tried: string[]
  /** Methods the server said it accepts, once it said so. */
  serverMethods?: string[]
}

/** An ssh2 authHandler that offers the attempts in order and records which were tried. */
export function authHandler(attempts: AuthAttempt[], log: AuthLog): AuthHandlerMiddleware {
  let next = 0
  return (methodsLeft, _partial, callback) => {
    if (methodsLeft) log.serverMethods = methodsLeft
    while (next < attempts.length) {
      const attempt = attempts[next++]!
      // The server lists what it still accepts; publickey covers agent keys too.
      if (methodsLeft && !methodsLeft.includes('publickey')) continue
      log.tried.push(attempt.label)
      callback(attempt.method)
      return
    }
    callback(false as never)
  }
}

/** The end of an auth failure message: what was tried, what was skipped, what the server wanted. */
export function describeAuthFailure(log: AuthLog, skipped: string[]): string {
  const parts = [log.tried.length ? `tried ${log.tried.join(', ')}` : 'tried nothing the server accepts']
  if (skipped.length) parts.push(`skipped ${skipped.join(', ')}`)
  if (log.serverMethods && !log.serverMethods.includes('publickey')) {
    parts.push(`the server only accepts ${log.serverMethods.join(', ')}`)
  }
  return parts.join('; ')
}
