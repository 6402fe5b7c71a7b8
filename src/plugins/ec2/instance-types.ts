import {
  DescribeInstanceTypesCommand,
  type EC2Client,
  type InstanceTypeInfo as Ec2TypeInfo,
  paginateDescribeInstanceTypeOfferings,
  paginateDescribeInstanceTypes,
} from '@aws-sdk/client-ec2'
import { awsErrorCode, ProviderError } from './errors.js'

/** An instance type with what a group can ask of it. */
export interface InstanceTypeInfo {
  type: string
  vcpus: number
  /** Memory in MiB. */
  memory: number
  /** The architectures its images may have (x86_64, arm64; i386 on old types). */
  architectures: string[]
  burstable: boolean
}

export const DEFAULT_INSTANCE_TYPE = 't3.micro'

/** The architecture to look for images of: arm64 for Graviton types, else x86_64. */
export function imageArchitecture(info: InstanceTypeInfo): 'x86_64' | 'arm64' {
  return info.architectures.includes('arm64') ? 'arm64' : 'x86_64'
}

function fromEc2(t: Ec2TypeInfo): InstanceTypeInfo | undefined {
  if (!t.InstanceType || !t.VCpuInfo?.DefaultVCpus || !t.MemoryInfo?.SizeInMiB) return undefined
  return {
    type: t.InstanceType,
    vcpus: t.VCpuInfo.DefaultVCpus,
    memory: t.MemoryInfo.SizeInMiB,
    architectures: t.ProcessorInfo?.SupportedArchitectures ?? [],
    burstable: t.BurstablePerformanceSupported ?? false,
  }
}

/**
 * The order types are chosen in when a group gives only minimums. EC2 has no price in its API, so
 * this is no price order: fewest vCPUs, then least memory, then burstable (t-family) types before
 * others, then by name. It is usually the cheapest type that fits, not always.
 */
export function typeOrder(a: InstanceTypeInfo, b: InstanceTypeInfo): number {
  return (
    a.vcpus - b.vcpus ||
    a.memory - b.memory ||
    Number(b.burstable) - Number(a.burstable) ||
    a.type.localeCompare(b.type, 'en', { numeric: true })
  )
}

/** The first type in `typeOrder` with at least `minRam` MiB and `minCores` vCPUs for `arch`. */
export function firstFitting(
  types: InstanceTypeInfo[],
  need: { minRam?: number; minCores?: number; arch: string },
): InstanceTypeInfo | undefined {
  return types
    .filter(
      (t) =>
        t.memory >= (need.minRam ?? 0) &&
        t.vcpus >= (need.minCores ?? 0) &&
        t.architectures.includes(need.arch),
    )
    .sort(typeOrder)[0]
}

/** The instance types offered in the client's region (DescribeInstanceTypeOfferings). */
async function offeredTypes(client: EC2Client, signal?: AbortSignal, only?: string): Promise<Set<string>> {
  const offered = new Set<string>()
  const pages = paginateDescribeInstanceTypeOfferings(
    { client, pageSize: 1000 },
    { LocationType: 'region', ...(only ? { Filters: [{ Name: 'instance-type', Values: [only] }] } : {}) },
    { abortSignal: signal },
  )
  for await (const page of pages) {
    for (const o of page.InstanceTypeOfferings ?? []) if (o.InstanceType) offered.add(o.InstanceType)
  }
  return offered
}

/**
 * A type named by the group or the settings, as EC2 describes it; one line naming it when EC2 does
 * not know it or the region does not offer it.
 */
export async function describeNamedType(
  client: EC2Client,
  name: string,
  where: { label: string; region: string; signal?: AbortSignal },
): Promise<InstanceTypeInfo> {
  let info: InstanceTypeInfo | undefined
  try {
    const out = await client.send(
      // Any name EC2 knows, including ones newer than this SDK's list.
      new DescribeInstanceTypesCommand({ InstanceTypes: [name as never] }),
      { abortSignal: where.signal },
    )
    info = out.InstanceTypes?.map(fromEc2).find((t) => t?.type === name)
  } catch (error) {
    if (!/^InvalidInstanceType/.test(awsErrorCode(error) ?? '')) throw error
  }
  if (!info) {
    throw new ProviderError(
      `${where.label}: EC2 knows no instance type ${name}: check hardware.instance-type`,
    )
  }
  if (!(await offeredTypes(client, where.signal, name)).has(name)) {
    throw new ProviderError(
      `${where.label}: instance type ${name} is not offered in region ${where.region}: choose another (hardware.instance-type)`,
    )
  }
  return info
}

/**
 * The first type in `typeOrder` among the current-generation types offered in the region that has
 * the group's minimums and runs `arch`; one line naming the minimums when none does.
 */
export async function chooseType(
  client: EC2Client,
  need: { minRam?: number; minCores?: number; arch: 'x86_64' | 'arm64' },
  where: { label: string; region: string; signal?: AbortSignal },
): Promise<InstanceTypeInfo> {
  const offered = await offeredTypes(client, where.signal)
  const types: InstanceTypeInfo[] = []
  const pages = paginateDescribeInstanceTypes(
    { client, pageSize: 100 },
    {
      Filters: [
        { Name: 'current-generation', Values: ['true'] },
        { Name: 'bare-metal', Values: ['false'] },
        { Name: 'processor-info.supported-architecture', Values: [need.arch] },
      ],
    },
    { abortSignal: where.signal },
  )
  for await (const page of pages) {
    for (const t of page.InstanceTypes ?? []) {
      const info = fromEc2(t)
      if (info && offered.has(info.type)) types.push(info)
    }
  }
  const fit = firstFitting(types, need)
  if (!fit) {
    throw new ProviderError(
      `${where.label}: no ${need.arch} instance type offered in region ${where.region} has ${need.minRam ?? 0} MiB and ${need.minCores ?? 0} vCPUs; lower hardware.min-ram / min-cores, or set hardware.instance-type`,
    )
  }
  return fit
}
