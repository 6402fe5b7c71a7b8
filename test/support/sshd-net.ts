import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** Every test node listens on this port, each on its own loopback address. */
export const NODE_PORT = 2222

const claimsDir = join(tmpdir(), 'forklift-test-addresses')
const claimed = new Set<string>()

// Each test file (a process of its own under `node --test`) starts at a block of addresses picked from
// a hash of its file name, so files running side by side rarely meet; claim files settle the rare clash.
const seed = createHash('sha1')
  .update(process.argv[1] ?? String(process.pid))
  .digest()
let cursor = (seed.readUInt32BE(0) % 250) * 254

function addressAt(index: number): string {
  const slot = index % (250 * 254)
  return `127.0.${1 + Math.floor(slot / 254)}.${1 + (slot % 254)}`
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Take the claim file for an address unless a live process holds it. */
function tryClaim(address: string): boolean {
  const file = join(claimsDir, address)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' })
      return true
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // Another process removed the (empty) folder as it exited.
      if (code === 'ENOENT') {
        mkdirSync(claimsDir, { recursive: true })
        continue
      }
      if (code !== 'EEXIST') throw error
    }
    let holder: number
    try {
      holder = Number(readFileSync(file, 'utf8').trim())
    } catch {
      continue
    }
    // An empty file is a claim being written right now.
    if (!holder || alive(holder)) return false
    try {
      unlinkSync(file)
    } catch {
      // Someone else cleared it first.
    }
  }
  return false
}

function portFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** Claim a loopback address whose node port is free; release it with releaseAddress. */
export async function claimAddress(): Promise<string> {
  mkdirSync(claimsDir, { recursive: true })
  for (let tries = 0; tries < 2000; tries++) {
    const address = addressAt(cursor++)
    if (!tryClaim(address)) continue
    if (await portFree(address, NODE_PORT)) {
      claimed.add(address)
      return address
    }
    unlinkSync(join(claimsDir, address))
  }
  throw new Error('no free loopback address for a test node')
}

/** Give an address back. */
export function releaseAddress(address: string): void {
  if (!claimed.delete(address)) return
  try {
    unlinkSync(join(claimsDir, address))
  } catch {
    // Already gone.
  }
}

process.once('exit', () => {
  for (const address of [...claimed]) releaseAddress(address)
  try {
    rmdirSync(claimsDir)
  } catch {
    // Other tests still hold addresses.
  }
})

/** Whether an SSH server answers with its banner at address:port. */
function sshBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port })
    let data = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(2000, () => done(false))
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1')
      if (data.includes('SSH-')) done(true)
    })
    socket.on('error', () => done(false))
    socket.on('close', () => done(false))
  })
}

/**
 * Wait until sshd answers at address:port. `failed` is asked between tries: when it returns a reason
 * (the daemon exited, say), waiting stops with that reason.
 */
export async function waitForSsh(
  address: string,
  port: number,
  failed: () => string | undefined,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await sshBanner(address, port)) return
    const reason = failed()
    if (reason) throw new Error(reason)
    await sleep(25)
  }
  throw new Error(`no SSH answer at ${address}:${port} within ${timeoutMs} ms`)
}

/** A TCP server that accepts connections and never says a word (for connect-timeout tests). */
export interface SilentServer {
  address: string
  port: number
  close(): Promise<void>
}

/**
 * Listen on `address` (a freshly claimed loopback address when omitted; port NODE_PORT unless given)
 * and stay silent; close() drops every connection and gives a claimed address back.
 */
export async function startSilentServer(address?: string, port = NODE_PORT): Promise<SilentServer> {
  const own = address === undefined
  const host = address ?? (await claimAddress())
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port }, () => resolve())
  }).catch((error) => {
    if (own) releaseAddress(host)
    throw error
  })
  return {
    address: host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => {
          if (own) releaseAddress(host)
          resolve()
        })
      }),
  }
}
