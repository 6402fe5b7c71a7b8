import { DescribeImagesCommand, type EC2Client, type Filter, type Image } from '@aws-sdk/client-ec2'
import type { NodeSpec } from '../../core/model/group.js'
import { ProviderError } from './errors.js'

/** A distribution whose official AMIs Forklift can find by os and version. */
interface Distribution {
  /** The AWS account that publishes the official images. */
  owner: string
  /** The login user its images come with (cloud-init's default user). */
  user: string
  /** Image name pattern (DescribeImages `name` filter) for a version and architecture. */
  names(version: string, arch: string): string[]
  /** A version to use when the group names none. */
  defaultVersion: string
}

const DEBIAN_CODENAMES: Record<string, string> = { bullseye: '11', bookworm: '12', trixie: '13' }
const UBUNTU_CODENAMES: Record<string, string> = { focal: '20.04', jammy: '22.04', noble: '24.04' }

const debian: Distribution = {
  owner: '136693071363',
  user: 'admin',
  names: (version, arch) => [
    `debian-${DEBIAN_CODENAMES[version] ?? version}-${arch === 'arm64' ? 'arm64' : 'amd64'}-*`,
  ],
  defaultVersion: '12',
}
const ubuntu: Distribution = {
  owner: '099720109477',
  user: 'ubuntu',
  names: (version, arch) => [
    `ubuntu/images/hvm-ssd*/ubuntu-*-${UBUNTU_CODENAMES[version] ?? version}-${arch === 'arm64' ? 'arm64' : 'amd64'}-server-*`,
  ],
  defaultVersion: '24.04',
}
const amazonLinux: Distribution = {
  owner: 'amazon',
  user: 'ec2-user',
  names: (version, arch) =>
    version === '2' ? [`amzn2-ami-hvm-2.0.*-${arch}-gp2`] : [`al${version}-ami-${version}.*-${arch}`],
  defaultVersion: '2023',
}

const DISTRIBUTIONS: Record<string, Distribution> = {
  debian,
  ubuntu,
  amazon: amazonLinux,
  'amazon-linux': amazonLinux,
  amzn: amazonLinux,
  al2023: amazonLinux,
}

/** The login user for images of a known publisher, by owner id. */
function userForOwner(owner: string | undefined, alias: string | undefined): string | undefined {
  if (alias === 'amazon') return amazonLinux.user
  return Object.values(DISTRIBUTIONS).find((d) => d.owner === owner)?.user
}

/** An AMI to launch and the user its first login uses. */
export interface ResolvedImage {
  imageId: string
  name?: string
  user?: string
  /** The image's architecture (x86_64, arm64, …), as EC2 describes it. */
  architecture?: string
}

/**
 * Find the AMI for a node spec: `image.id` as given (checked to exist), or the newest official image
 * of `image.os` / `image.version` for the architecture.
 */
export async function resolveImage(
  client: EC2Client,
  image: NodeSpec['image'],
  arch: 'x86_64' | 'arm64',
  where: { group: string; region: string; signal?: AbortSignal },
): Promise<ResolvedImage> {
  const os = image.os?.toLowerCase()
  const distribution = os ? DISTRIBUTIONS[os] : undefined
  if (image.id) {
    const out = await client.send(new DescribeImagesCommand({ ImageIds: [image.id] }), {
      abortSignal: where.signal,
    })
    const found = out.Images?.[0]
    if (!found) {
      throw Object.assign(new Error(`The image id '[${image.id}]' does not exist`), {
        Code: 'InvalidAMIID.NotFound',
      })
    }
    return {
      imageId: image.id,
      ...(found.Name ? { name: found.Name } : {}),
      ...(found.Architecture ? { architecture: found.Architecture } : {}),
      ...withUser(distribution?.user ?? userForOwner(found.OwnerId, found.ImageOwnerAlias)),
    }
  }
  if (!os) {
    throw new ProviderError(
      `group ${where.group}: image: set image.id (an AMI) or image.os (${Object.keys(DISTRIBUTIONS).join(', ')})`,
    )
  }
  if (!distribution) {
    throw new ProviderError(
      `group ${where.group}: image.os "${image.os}" has no known official AMIs; use one of ${Object.keys(DISTRIBUTIONS).join(', ')}, or set image.id`,
    )
  }
  const version = String(image.version ?? distribution.defaultVersion).toLowerCase()
  const filters: Filter[] = [
    { Name: 'name', Values: distribution.names(version, arch) },
    { Name: 'state', Values: ['available'] },
    { Name: 'architecture', Values: [arch] },
  ]
  const images: Image[] = []
  let token: string | undefined
  do {
    const out = await client.send(
      new DescribeImagesCommand({
        Owners: [distribution.owner],
        Filters: filters,
        ...(token ? { NextToken: token } : {}),
      }),
      { abortSignal: where.signal },
    )
    images.push(...(out.Images ?? []))
    token = out.NextToken
  } while (token)
  const newest = images
    .filter((i) => i.ImageId)
    .sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0]
  if (!newest) {
    throw new ProviderError(
      `group ${where.group}: no official ${os} ${version} image for ${arch} in region ${where.region}: check image.version, or set image.id`,
    )
  }
  return {
    imageId: newest.ImageId!,
    ...(newest.Name ? { name: newest.Name } : {}),
    user: distribution.user,
    architecture: newest.Architecture ?? arch,
  }
}

function withUser(user: string | undefined): { user?: string } {
  return user ? { user } : {}
}
