import { createServer } from 'node:net'
import { networkInterfaces } from 'node:os'

/**
 * Whether a TCP port can be listened on at this address now: false when something holds it
 * (another program, a machine of another project publishing there) or it cannot be bound at all.
 */
export function canListen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** Whether an address belongs to one of this host's interfaces (then no machine may have it). */
export function isHostAddress(address: string): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === address))
}
