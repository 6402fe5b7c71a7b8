import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type _InstanceType,
  EC2Client,
  type Filter,
  type Instance,
  paginateDescribeInstances,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2'
import type { GroupSpec } from '../../core/model/group.js'
import type { Node } from '../../core/model/node.js'
import { localPath } from '../../core/paths.js'
import type { NodeQuery, Provider, ProviderContext } from '../../core/providers/types.js'
import { ensureKeyPair, ensureSecurityGroup, subnetVpc } from './access.js'
import { type CallSite, explainAwsError, ProviderError } from './errors.js'
import { resolveImage } from './images.js'
import type { Ec2Settings } from './index.js'
import { architectureOf, DEFAULT_INSTANCE_TYPE, smallestFitting } from './instance-types.js'
import {
  clientToken,
  freeNames,
  instanceNode,
  LIVE_STATES,
  newestFirst,
  TAG,
  tagList,
  tagRecord,
} from './instances.js'
import {
  describeIds,
  failureReason,
  makeReady,
  nameInstances,
  type Readiness,
  STATE_TIMEOUT_S,
  takeUp,
} from './ready.js'

/** The ec2 provider: instances grouped by tags, created with one idempotent RunInstances per group. */
export function createEc2Provider(context: ProviderContext, settings: Ec2Settings): Provider {
  // Forklift supports Node 20 on purpose; the SDK's notice about its own future Node support is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const client = new EC2Client({
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings['max-attempts'] ? { maxAttempts: settings['max-attempts'] } : {}),
    // The SDK's own warnings (two credential sources set, say) become progress lines, never console
    // output; failures reach the user through the errors this provider raises.
    logger: {
      debug() {},
      info() {},
      warn: (message: unknown) => context.log(`AWS SDK: ${oneLine(String(message))}`),
      error() {},
    },
  })
  const delayS = settings['waiter-delay'] ?? 5
  const userTags = settings.tags ?? {}
  const readiness: Readiness = {
    client,
    provider: context.name,
    log: context.log,
    delayS,
    sshTimeoutMs: (settings['ssh-timeout'] ?? 300) * 1000,
  }

  async function region(): Promise<string> {
    try {
      return await client.config.region()
    } catch {
      return '(none)'
    }
  }

  /** Run one EC2 step; any failure becomes a one-line ProviderError naming the group and the action. */
  async function step<T>(site: Omit<CallSite, 'provider'>, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      throw explainAwsError(error, {
        provider: context.name,
        region: await region(),
        ...(settings.profile ? { profile: settings.profile } : {}),
        ...site,
      })
    }
  }

  async function describe(filters: Filter[], signal?: AbortSignal): Promise<Instance[]> {
    const instances: Instance[] = []
    const pages = paginateDescribeInstances(
      { client, pageSize: 200 },
      { Filters: filters },
      { abortSignal: signal },
    )
    for await (const page of pages) {
      for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []))
    }
    return instances
  }

  /** The members of a group (or of every group); `ready` takes up what an interrupted create left. */
  async function listNodes({ group, ready, readOnly, signal }: NodeQuery): Promise<Node[]> {
    const filters: Filter[] = [
      { Name: `tag:${TAG.project}`, Values: [context.project] },
      group ? { Name: `tag:${TAG.group}`, Values: [group] } : { Name: 'tag-key', Values: [TAG.group] },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ]
    const instances = await step({ action: 'DescribeInstances', ...(group ? { group } : {}) }, () =>
      describe(filters, signal),
    )
    let nodes: Node[]
    if (ready) {
      const byGroup = new Map<string, Instance[]>()
      for (const i of instances) {
        const g = tagRecord(i.Tags)[TAG.group] ?? ''
        byGroup.set(g, [...(byGroup.get(g) ?? []), i])
      }
      const r = readOnly ? { ...readiness, readOnly } : readiness
      const taken = [...byGroup].map(([g, members]) => takeUp(r, g, members, signal))
      nodes = (await Promise.all(taken)).flat()
    } else nodes = instances.map((instance) => instanceNode(instance, context.name))
    return nodes.sort(
      (a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name, 'en', { numeric: true }),
    )
  }

  /** The public key to import for the group's key pair: the setting (a key line or a .pub file), else the group's login key. */
  async function publicKeyFor(group: GroupSpec): Promise<string | undefined> {
    const setting = settings['public-key']
    if (setting) {
      if (/^(ssh-|ecdsa-|sk-)/.test(setting.trim())) return setting.trim()
      const file = localPath(context.projectDir, setting)
      try {
        return (await readFile(file, 'utf8')).trim()
      } catch (error) {
        throw new ProviderError(
          `provider ${context.name}: public-key: cannot read ${file} (${(error as NodeJS.ErrnoException).code}); give a key line or a .pub file`,
        )
      }
    }
    const login = group.node.login
    if (login['public-key']) return login['public-key'].trim()
    if (!login['identity-file']) return undefined
    return readFile(`${resolve(context.projectDir, login['identity-file'])}.pub`, 'utf8').then(
      (text) => text.trim(),
      () => undefined,
    )
  }

  function instanceTypeFor(group: GroupSpec): string {
    const hardware = group.node.hardware
    if (hardware['instance-type']) return hardware['instance-type']
    if (hardware['min-ram'] === undefined && hardware['min-cores'] === undefined) {
      return settings['instance-type'] ?? DEFAULT_INSTANCE_TYPE
    }
    const fit = smallestFitting(hardware['min-ram'], hardware['min-cores'])
    if (!fit) {
      throw new ProviderError(
        `group ${group.name}: no known instance type has ${hardware['min-ram'] ?? 0} MiB and ${hardware['min-cores'] ?? 0} vCPUs; set hardware.instance-type`,
      )
    }
    return fit.type
  }

  /**
   * The VPC for a group's security group: the subnet's when `subnet` is set (a group of another VPC
   * cannot be used in it), else `vpc`, else none (EC2's default VPC).
   */
  async function securityGroupVpc(group: string, signal: AbortSignal): Promise<string | undefined> {
    const subnet = settings.subnet
    if (!subnet) return settings.vpc
    const vpc = await step({ action: 'DescribeSubnets', group }, () => subnetVpc(client, subnet, signal))
    const where = `group ${group} (provider ${context.name})`
    if (!vpc) {
      throw new ProviderError(
        `${where}: subnet ${subnet} does not exist in region ${await region()}: check the provider setting \`subnet\``,
      )
    }
    if (settings.vpc && settings.vpc !== vpc) {
      throw new ProviderError(
        `${where}: subnet ${subnet} (setting \`subnet\`) is in ${vpc}, not in ${settings.vpc} (setting \`vpc\`): leave \`vpc\` out, or name a subnet of that VPC`,
      )
    }
    return vpc
  }

  async function createNodes(group: GroupSpec, count: number, signal: AbortSignal): Promise<Node[]> {
    const g = group.name
    const instanceType = instanceTypeFor(group)
    const image = await step(
      { action: 'DescribeImages', group: g, ...(group.node.image.id ? { image: group.node.image.id } : {}) },
      async () =>
        resolveImage(client, group.node.image, architectureOf(instanceType), {
          group: g,
          region: await region(),
          signal,
        }),
    )
    const ownership = { [TAG.project]: context.project, [TAG.group]: g }
    const tags = tagList({ ...userTags, ...ownership })

    const vpc = await securityGroupVpc(g, signal)
    const keyName = settings['key-name'] ?? `forklift-${context.project}-${g}`
    const publicKey = await publicKeyFor(group)
    const keyPair = await step({ action: 'ImportKeyPair', group: g }, () =>
      ensureKeyPair(client, { name: keyName, ...(publicKey ? { publicKey } : {}), tags, signal }),
    )
    if (keyPair === 'imported') context.log(`imported key pair ${keyName} for group ${g}`)

    const securityGroup = await step({ action: 'AuthorizeSecurityGroupIngress', group: g }, () =>
      ensureSecurityGroup(client, {
        name: `forklift-${context.project}-${g}`,
        description: `Forklift group ${g} of project ${context.project}`,
        ...(vpc ? { vpc } : {}),
        ports: [22, ...group.node.network['inbound-ports']],
        tags,
        signal,
      }),
    )

    const taken = (await listNodes({ group: g, signal })).map((n) => n.name)
    const names = freeNames(g, taken, count)
    const instanceTags = tagList({
      ...userTags,
      ...ownership,
      ...(image.user ? { [TAG.loginUser]: image.user } : {}),
    })
    const started = Date.now()
    const reservation = await step(
      { action: 'RunInstances', group: g, image: image.imageId, instanceType },
      () =>
        client.send(
          new RunInstancesCommand({
            ImageId: image.imageId,
            // Any type name EC2 knows, including ones newer than this SDK's list.
            InstanceType: instanceType as _InstanceType,
            MinCount: count,
            MaxCount: count,
            KeyName: keyName,
            SecurityGroupIds: [securityGroup],
            ...(settings.subnet ? { SubnetId: settings.subnet } : {}),
            ClientToken: clientToken(context.runId, context.project, g, count),
            // EC2 tags every instance of one launch alike: a lone instance gets its Name here, and
            // several get theirs with CreateTags next (a listing for use names any left without).
            TagSpecifications: [
              {
                ResourceType: 'instance',
                Tags: count === 1 ? [...instanceTags, { Key: TAG.name, Value: names[0]! }] : instanceTags,
              },
              { ResourceType: 'volume', Tags: tags },
            ],
          }),
          { abortSignal: signal },
        ),
    )
    const launched = [...(reservation.Instances ?? [])].sort(
      (a, b) => (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0),
    )
    const ids = launched.map((i) => i.InstanceId!)
    context.log(`launched ${ids.join(', ')} (${image.imageId}, ${instanceType}) for group ${g}`)

    // From here on, a failure must name what was made: the instances exist and carry the group's tags.
    const made = (reason: string) =>
      new ProviderError(
        `group ${g} (provider ${context.name}): created ${ids.join(', ')} but ${reason}; they carry ${TAG.group}=${g}, so the next converge takes them up (or terminate them)`,
      )
    try {
      if (count > 1) {
        await nameInstances(
          readiness,
          launched.map((instance, index) => [instance.InstanceId!, names[index]!]),
          signal,
        )
      }
      const { nodes, runningAt, sshAt } = await makeReady(
        readiness,
        ids,
        {
          ...(image.user ? { user: image.user } : {}),
          ...(group.node.login['identity-file']
            ? { identityFile: resolve(context.projectDir, group.node.login['identity-file']) }
            : {}),
        },
        signal,
      )
      context.log(
        `group ${g}: ${ids.length} instance(s) running after ${seconds(runningAt - started)}, SSH answered ${seconds(sshAt - runningAt)} later`,
      )
      return nodes
    } catch (error) {
      if (signal.aborted) throw made('the run was interrupted before they were ready')
      const reason = failureReason(error)
      throw made(reason)
    }
  }

  async function destroyNodes(nodes: Node[], signal: AbortSignal): Promise<void> {
    if (nodes.length === 0) return
    const ordered = newestFirst(nodes)
    const ids = ordered.map((n) => n.id)
    const group = [...new Set(nodes.map((n) => n.group))].join(', ')
    await step({ action: 'TerminateInstances', group }, async () => {
      for (let i = 0; i < ids.length; i += 1000) {
        await client.send(new TerminateInstancesCommand({ InstanceIds: ids.slice(i, i + 1000) }), {
          abortSignal: signal,
        })
      }
    })
    context.log(`terminating ${ordered.map((n) => `${n.name} (${n.id})`).join(', ')}`)
    await step({ action: 'DescribeInstances', group }, async () => {
      const deadline = Date.now() + STATE_TIMEOUT_S * 1000
      for (;;) {
        const states = (await describeIds(client, ids, signal)).map((i) => i.State?.Name)
        if (states.every((s) => s === 'shutting-down' || s === 'terminated')) return
        if (Date.now() > deadline) {
          throw new ProviderError(
            `group ${group}: ${ids.join(', ')} did not stop within ${STATE_TIMEOUT_S} s`,
          )
        }
        await sleep(delayS * 1000, undefined, { signal })
      }
    })
  }

  return {
    listNodes,
    createNodes,
    destroyNodes,
    async close() {
      client.destroy()
    },
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}
