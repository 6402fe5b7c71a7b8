import type { NodeSpec } from '../../core/model/group.js'

/**
 * A well-known box for each Vagrant provider: `byProvider` where the distribution's own box is built
 * for that provider, `other` for the rest. All of them are amd64 boxes.
 */
interface KnownBox {
  byProvider: Record<string, string>
  other: string
}

/**
 * Debian's own boxes (debian/*) are built for VirtualBox and libvirt only, Canonical's (ubuntu/*) for
 * VirtualBox only; roboxes' generic/* exist for hyperv, libvirt, parallels, virtualbox and vmware_desktop.
 */
const debian = (codename: string, version: string): KnownBox => ({
  byProvider: { virtualbox: `debian/${codename}64`, libvirt: `debian/${codename}64` },
  other: `generic/debian${version}`,
})
const ubuntu = (codename: string, version: string): KnownBox => ({
  byProvider: { virtualbox: `ubuntu/${codename}64` },
  other: `generic/ubuntu${version.replace('.', '')}`,
})
const everywhere = (box: string): KnownBox => ({ byProvider: {}, other: box })

const KNOWN: Record<string, Record<string, KnownBox>> = {
  debian: { '10': debian('buster', '10'), '11': debian('bullseye', '11'), '12': debian('bookworm', '12') },
  ubuntu: {
    '18.04': ubuntu('bionic', '18.04'),
    '20.04': ubuntu('focal', '20.04'),
    '22.04': ubuntu('jammy', '22.04'),
    '24.04': everywhere('bento/ubuntu-24.04'),
  },
  rocky: { '8': everywhere('rockylinux/8'), '9': everywhere('rockylinux/9') },
  almalinux: { '8': everywhere('almalinux/8'), '9': everywhere('almalinux/9') },
  centos: { '7': everywhere('centos/7') },
  fedora: { '39': everywhere('generic/fedora39') },
  alpine: { '3.19': everywhere('generic/alpine319') },
}

/** The architecture the table's boxes are built for. */
export const KNOWN_BOX_ARCHITECTURE = 'amd64'

/** Names that mean the same distribution. */
const ALIASES: Record<string, string> = { rockylinux: 'rocky', alma: 'almalinux' }

/** Node's name of the host architecture in Vagrant's terms. */
export function hostArchitecture(arch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', ia32: 'i386' } as Record<string, string>)[arch] ?? arch
}

/**
 * The box for an image on a Vagrant provider: `image.box` as given, else the table's entry for
 * os + version and provider, when the machine's architecture is the one the table's boxes are for.
 */
export function boxFor(image: NodeSpec['image'], provider: string, architecture: string): string | undefined {
  if (image.box) return image.box
  if (!image.os || architecture !== KNOWN_BOX_ARCHITECTURE) return undefined
  const os = image.os.toLowerCase()
  const known = KNOWN[ALIASES[os] ?? os]?.[String(image.version ?? '')]
  if (!known) return undefined
  return known.byProvider[provider] ?? known.other
}

/** The os/version pairs the table knows, for error messages and docs. */
export function knownImages(): string[] {
  return Object.entries(KNOWN).flatMap(([os, versions]) => Object.keys(versions).map((v) => `${os} ${v}`))
}

/** A version's segments as RubyGems reads them: numbers, and letters that mark a prerelease. */
function segments(version: string): (number | string)[] {
  return (version.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^\d/.test(s) ? Number(s) : s))
}

/** Compare two versions as RubyGems' Gem::Version does (trailing zeros ignored, prereleases first). */
export function compareVersions(a: string, b: string): number {
  const x = segments(a)
  const y = segments(b)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? 0
    const q = y[i] ?? 0
    if (p === q) continue
    if (typeof p === 'number' && typeof q === 'number') return p < q ? -1 : 1
    if (typeof p === 'string' && typeof q === 'string') return p < q ? -1 : 1
    return typeof p === 'string' ? -1 : 1
  }
  return 0
}

/** `~> 1.2.3` allows up to, not including, 1.3 (RubyGems' bump: drop the last segment, raise the one before). */
function bump(version: string): string {
  const numbers: number[] = []
  for (const s of segments(version)) {
    if (typeof s !== 'number') break
    numbers.push(s)
  }
  if (numbers.length > 1) numbers.pop()
  numbers[numbers.length - 1] = (numbers.at(-1) ?? 0) + 1
  return numbers.join('.')
}

const CONSTRAINT = /^\s*(=|!=|>=|<=|>|<|~>)?\s*([0-9][0-9A-Za-z.]*)\s*$/

/**
 * Whether a box version meets a constraint such as `">= 12.20240101, < 13"`, read as Vagrant reads
 * `box_version` (RubyGems' Gem::Requirement); undefined when the constraint is not of that form.
 */
export function versionSatisfies(version: string, constraint: string): boolean | undefined {
  let result = true
  for (const part of constraint.split(',')) {
    const match = CONSTRAINT.exec(part)
    if (!match) return undefined
    const [, op = '=', wanted = ''] = match
    const c = compareVersions(version, wanted)
    const ok =
      op === '='
        ? c === 0
        : op === '!='
          ? c !== 0
          : op === '>'
            ? c > 0
            : op === '<'
              ? c < 0
              : op === '>='
                ? c >= 0
                : op === '<='
                  ? c <= 0
                  : c >= 0 && compareVersions(version, bump(wanted)) < 0
    result &&= ok
  }
  return result
}
