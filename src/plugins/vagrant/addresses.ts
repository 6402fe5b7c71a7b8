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

/** A range's addresses in the order they are handed out: from network + 2 (+1 is the host's side), stopping before broadcast. */
export function* rangeAddresses(range: AddressRange): Generator<string> {
  for (let n = range.network + 2; n < range.network + range.size - 1; n++) yield toAddress(n)
}

/** The ports FIRST to LAST, in order. */
export function* rangePorts(first: number, last: number): Generator<number> {
  for (let port = first; port <= last; port++) yield port
}

/**
 * The first `count` candidates that are neither `taken` nor refused by `free` (a check on the host:
 * another program, another project's machine). Fails naming `what` when there are not enough.
 */
export async function allocate<T>(
  candidates: Iterable<T>,
  taken: Iterable<T>,
  count: number,
  free: (candidate: T) => Promise<boolean>,
  what: string,
): Promise<T[]> {
  const used = new Set(taken)
  const out: T[] = []
  for (const candidate of candidates) {
    if (out.length >= count) break
    if (used.has(candidate) || !(await free(candidate))) continue
    out.push(candidate)
  }
  if (out.length < count) throw new Error(`${what} has no room for ${count} more (free on this host)`)
  return out
}

/** The first `count` addresses of a range not in `used` (no host check). */
export function allocateAddresses(range: AddressRange, used: Iterable<string>, count: number): string[] {
  const taken = new Set(used)
  const out: string[] = []
  for (const address of rangeAddresses(range)) {
    if (out.length >= count) break
    if (!taken.has(address)) out.push(address)
  }
  if (out.length < count) {
    throw new Error(`address range ${range.cidr} has no room for ${count} more machine(s)`)
  }
  return out
}
