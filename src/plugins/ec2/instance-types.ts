/** An instance type with what a group can ask of it. */
export interface InstanceTypeInfo {
  type: string
  vcpus: number
  /** Memory in MiB. */
  memory: number
  arch: 'x86_64' | 'arm64'
}

// Cheapest first (on-demand, Linux): the first type that fits a group's minimums is the one it gets.
const TABLE: InstanceTypeInfo[] = [
  ['t3.nano', 2, 512],
  ['t3.micro', 2, 1024],
  ['t3.small', 2, 2048],
  ['t3.medium', 2, 4096],
  ['t3.large', 2, 8192],
  ['c6i.large', 2, 4096],
  ['m6i.large', 2, 8192],
  ['t3.xlarge', 4, 16384],
  ['c6i.xlarge', 4, 8192],
  ['m6i.xlarge', 4, 16384],
  ['t3.2xlarge', 8, 32768],
  ['c6i.2xlarge', 8, 16384],
  ['m6i.2xlarge', 8, 32768],
  ['c6i.4xlarge', 16, 32768],
  ['m6i.4xlarge', 16, 65536],
  ['c6i.8xlarge', 32, 65536],
  ['m6i.8xlarge', 32, 131072],
  ['m6i.16xlarge', 64, 262144],
  ['m6i.32xlarge', 128, 524288],
].map(([type, vcpus, memory]) => ({
  type: type as string,
  vcpus: vcpus as number,
  memory: memory as number,
  arch: 'x86_64',
}))

export const DEFAULT_INSTANCE_TYPE = 't3.micro'

/** The cheapest type with at least `minRam` MiB and `minCores` vCPUs, or undefined when none fits. */
export function smallestFitting(minRam = 0, minCores = 0): InstanceTypeInfo | undefined {
  return TABLE.find((t) => t.memory >= minRam && t.vcpus >= minCores)
}

/** The CPU architecture an instance type runs (Graviton families carry a `g` after the generation: t4g, m7gd). */
export function architectureOf(type: string): 'x86_64' | 'arm64' {
  const family = type.split('.')[0] ?? ''
  return /^[a-z]+\d+g/.test(family) ? 'arm64' : 'x86_64'
}
