import type { NodeSpec } from '../../core/model/group.js'

/** A well-known box: the default name, and other names for providers the default does not support. */
interface KnownBox {
  box: string
  byProvider?: Record<string, string>
}

// The `ubuntu/*` boxes are built for VirtualBox only; the `generic/*` ones also exist for libvirt.
const KNOWN: Record<string, Record<string, KnownBox>> = {
  debian: {
    '10': { box: 'debian/buster64' },
    '11': { box: 'debian/bullseye64' },
    '12': { box: 'debian/bookworm64' },
  },
  ubuntu: {
    '18.04': { box: 'ubuntu/bionic64', byProvider: { libvirt: 'generic/ubuntu1804' } },
    '20.04': { box: 'ubuntu/focal64', byProvider: { libvirt: 'generic/ubuntu2004' } },
    '22.04': { box: 'ubuntu/jammy64', byProvider: { libvirt: 'generic/ubuntu2204' } },
    '24.04': { box: 'bento/ubuntu-24.04' },
  },
  rocky: { '8': { box: 'rockylinux/8' }, '9': { box: 'rockylinux/9' } },
  almalinux: { '8': { box: 'almalinux/8' }, '9': { box: 'almalinux/9' } },
  centos: { '7': { box: 'centos/7' } },
  fedora: { '39': { box: 'generic/fedora39' } },
  alpine: { '3.19': { box: 'generic/alpine319' } },
}

/** Names that mean the same distribution. */
const ALIASES: Record<string, string> = { rockylinux: 'rocky', alma: 'almalinux' }

/** The box for an image on a Vagrant provider: `image.box` as given, else the table's entry for os + version. */
export function boxFor(image: NodeSpec['image'], provider: string): string | undefined {
  if (image.box) return image.box
  if (!image.os) return undefined
  const os = image.os.toLowerCase()
  const known = KNOWN[ALIASES[os] ?? os]?.[String(image.version ?? '')]
  if (!known) return undefined
  return known.byProvider?.[provider] ?? known.box
}

/** The os/version pairs the table knows, for error messages and docs. */
export function knownImages(): string[] {
  return Object.entries(KNOWN).flatMap(([os, versions]) => Object.keys(versions).map((v) => `${os} ${v}`))
}
