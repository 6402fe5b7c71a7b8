import type { Handler } from './actions.js'
import { filtersOf, passes, QueryError } from './query.js'
import type { XmlNode } from './xml.js'

// DescribeInstanceTypes and DescribeInstanceTypeOfferings as EC2 answers them: a catalog of types
// with their vCPUs, memory and architectures, of which the region offers only some.

export interface InstanceTypeRecord {
  type: string
  vcpus: number
  /** MiB. */
  memory: number
  architectures: ('x86_64' | 'arm64' | 'i386')[]
  currentGeneration: boolean
  burstable: boolean
  bareMetal: boolean
}

const row = (
  type: string,
  vcpus: number,
  memory: number,
  arch: 'x86_64' | 'arm64' = 'x86_64',
  extra: Partial<InstanceTypeRecord> = {},
): InstanceTypeRecord => ({
  type,
  vcpus,
  memory,
  architectures: arch === 'x86_64' ? ['x86_64'] : ['arm64'],
  currentGeneration: true,
  burstable: type.startsWith('t'),
  bareMetal: type.endsWith('.metal'),
  ...extra,
})

/** Types EC2 knows, in no useful order (EC2 promises none). */
export function defaultInstanceTypes(): InstanceTypeRecord[] {
  return [
    row('m6i.xlarge', 4, 16384),
    row('t3.medium', 2, 4096),
    row('c6i.large', 2, 4096),
    row('t3.micro', 2, 1024),
    row('t3.nano', 2, 512),
    row('t3.small', 2, 2048),
    row('t3.large', 2, 8192),
    row('t2.micro', 1, 1024, 'x86_64', { architectures: ['i386', 'x86_64'] }),
    row('t2.small', 1, 2048, 'x86_64', { architectures: ['i386', 'x86_64'] }),
    row('m1.small', 1, 1740, 'x86_64', { currentGeneration: false, architectures: ['i386', 'x86_64'] }),
    row('m6i.large', 2, 8192),
    row('c6i.xlarge', 4, 8192),
    row('t4g.micro', 2, 1024, 'arm64'),
    row('t4g.small', 2, 2048, 'arm64'),
    row('t4g.medium', 2, 4096, 'arm64'),
    // Graviton without a `g` in the family name.
    row('a1.medium', 1, 2048, 'arm64'),
    row('a1.large', 2, 4096, 'arm64'),
    row('m7g.large', 2, 8192, 'arm64'),
    row('m6i.metal', 128, 524288),
    row('x2idn.32xlarge', 128, 2097152),
    // Known to EC2 but not offered in the region.
    row('t3a.micro', 2, 1024),
    row('c7i.large', 2, 4096),
    row('t2.nano', 1, 512, 'x86_64', { architectures: ['i386', 'x86_64'] }),
  ]
}

/** The types the region offers: all but a few. */
export function defaultOfferings(types: InstanceTypeRecord[]): Set<string> {
  const absent = new Set(['t3a.micro', 'c7i.large', 't2.nano'])
  return new Set(types.map((t) => t.type).filter((t) => !absent.has(t)))
}

function typeXml(t: InstanceTypeRecord): XmlNode {
  return {
    instanceType: t.type,
    currentGeneration: t.currentGeneration,
    freeTierEligible: t.type === 't3.micro' || t.type === 't2.micro',
    supportedUsageClasses: ['on-demand', 'spot'],
    supportedRootDeviceTypes: ['ebs'],
    supportedVirtualizationTypes: ['hvm'],
    bareMetal: t.bareMetal,
    hypervisor: t.bareMetal ? undefined : 'nitro',
    processorInfo: { supportedArchitectures: t.architectures, sustainedClockSpeedInGhz: 3.1 },
    vCpuInfo: { defaultVCpus: t.vcpus, defaultCores: Math.max(1, t.vcpus / 2), defaultThreadsPerCore: 2 },
    memoryInfo: { sizeInMiB: t.memory },
    instanceStorageSupported: false,
    burstablePerformanceSupported: t.burstable,
  }
}

function page<T>(
  items: T[],
  params: Parameters<Handler>[0],
  query: string,
  limit: number,
): { items: T[]; next?: string } {
  const max = params.int('MaxResults')
  if (max !== undefined && (max < 5 || max > 1000)) {
    throw new QueryError(
      400,
      'InvalidParameterValue',
      `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
    )
  }
  const token = params.get('NextToken')
  let offset = 0
  if (token) {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { o: number; q: string }
    if (parsed.q !== query) throw new QueryError(400, 'InvalidNextToken', 'The token is invalid')
    offset = parsed.o
  }
  const size = Math.min(max ?? limit, limit)
  const slice = items.slice(offset, offset + size)
  const end = offset + slice.length
  return {
    items: slice,
    ...(end < items.length
      ? { next: Buffer.from(JSON.stringify({ o: end, q: query })).toString('base64') }
      : {}),
  }
}

export const describeInstanceTypes: Handler = (params, ctx) => {
  const names = params.list('InstanceType')
  const filters = filtersOf(params)
  for (const name of names) {
    if (!ctx.world.instanceTypes.some((t) => t.type === name)) {
      throw new QueryError(
        400,
        'InvalidInstanceType',
        `The following supplied instance types do not exist: [${name}]`,
      )
    }
  }
  const matching = ctx.world.instanceTypes.filter(
    (t) =>
      (names.length === 0 || names.includes(t.type)) &&
      passes(filters, (name) => {
        switch (name) {
          case 'instance-type':
            return [t.type]
          case 'current-generation':
            return [String(t.currentGeneration)]
          case 'bare-metal':
            return [String(t.bareMetal)]
          case 'burstable-performance-supported':
            return [String(t.burstable)]
          case 'processor-info.supported-architecture':
            return t.architectures
          case 'vcpu-info.default-vcpus':
            return [String(t.vcpus)]
          case 'memory-info.size-in-mib':
            return [String(t.memory)]
          default:
            return undefined
        }
      }),
  )
  // EC2 answers at most 100 a page, whatever MaxResults asks.
  const { items, next } = page(matching, params, JSON.stringify([names, filters]), ctx.typePageLimit)
  return { instanceTypeSet: items.map(typeXml), nextToken: next }
}

export const describeInstanceTypeOfferings: Handler = (params, ctx) => {
  const locationType = params.get('LocationType') ?? 'region'
  if (locationType !== 'region') {
    throw new QueryError(400, 'InvalidParameterValue', `Only 'region' is known here, not ${locationType}`)
  }
  const filters = filtersOf(params)
  const offered = ctx.world.instanceTypes
    .filter((t) => ctx.world.offerings.has(t.type))
    .filter((t) =>
      passes(filters, (name) =>
        name === 'instance-type' ? [t.type] : name === 'location' ? [ctx.region] : undefined,
      ),
    )
  const { items, next } = page(offered, params, JSON.stringify(filters), ctx.typePageLimit)
  return {
    instanceTypeOfferingSet: items.map((t) => ({
      instanceType: t.type,
      locationType: 'region',
      location: ctx.region,
    })),
    nextToken: next,
  }
}
