import { isIPv4 } from 'node:net'

/** An IPv4 range in CIDR form, as numbers. */
export interface AddressRange {
  cidr: string
  network: number
  size: number
}

const toNumber = (address: string): number =>
  address.split('.').reduce((n, part) => n * 256 + Number(part), 0)

const toAddress = (n: number): string => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.')

/** Parse `A.B.C.D/N` (N from 8 to 30); returns undefined for anything else. */
export function parseRange(cidr: string): AddressRange | undefined {
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr)
  if (!match || !isIPv4(match[1]!)) return undefined
  const bits = Number(match[2])
  if (bits < 8 || bits > 30) return undefined
  const size = 2 ** (32 - bits)
  const network = toNumber(match[1]!) - (toNumber(match[1]!) % size)
  return { cidr, network, size }
}

/**
 * The first `count` free addresses of a range, skipping those in `used`. Handing out starts at the
 * network address + 2 (+1 is the host's side of a private network) and stops before broadcast.
 */
export function allocateAddresses(range: AddressRange, used: Iterable<string>, count: number): string[] {
  const taken = new Set(used)
  const out: string[] = []
  for (let n = range.network + 2; n < range.network + range.size - 1 && out.length < count; n++) {
    const address = toAddress(n)
    if (!taken.has(address)) out.push(address)
  }
  if (out.length < count) {
    throw new Error(`address range ${range.cidr} has no room for ${count} more machine(s)`)
  }
  return out
}
