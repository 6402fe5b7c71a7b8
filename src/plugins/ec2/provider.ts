import { access, readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
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
import { publicKeyOf } from '../../core/transport/public-key.js'
import { ensureKeyPair, ensureSecurityGroup, groupSecurityGroups, syncRules, unimportable } from './access.js'
import { labelFailures, type Patience, untilSeen } from './calls.js'
import { removeGroupResources } from './cleanup.js'
import { type CallSite, explainAwsError, ProviderError } from './errors.js'
import { type ResolvedImage, resolveImage } from './images.js'
import type { Ec2Settings } from './index.js'
import {
  chooseType,
  DEFAULT_INSTANCE_TYPE,
  describeNamedType,
  type InstanceTypeInfo,
  imageArchitecture,
} from './instance-types.js'
import {
  clientToken,
  freeNames,
  instanceNode,
  LIVE_STATES,
  literalFilter,
  newestFirst,
  TAG,
  tagList,
  tagRecord,
} from './instances.js'
import { checkProjectNames } from './names.js'
import { resolveNetwork } from './network.js'
import { failureReason, makeReady, nameInstances, type Readiness, takeUp, waitForStates } from './ready.js'

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
  labelFailures(client)
  const delayS = settings['waiter-delay'] ?? 5
  const userTags = settings.tags ?? {}
  // EC2 not yet seeing what was just made: six tries, the first wait a twentieth of the poll delay
  // (250 ms by default), doubling: about 8 s in all, as botocore's waiters allow in spirit.
  const patience: Patience = { attempts: 6, firstDelayMs: Math.max(10, delayS * 50) }
  const warn = context.warn ?? context.log
  const readiness: Readiness = {
    client,
    provider: context.name,
    log: context.log,
    warn,
    delayS,
    sshTimeoutMs: (settings['ssh-timeout'] ?? 300) * 1000,
    hostKeyTimeoutMs: (settings['host-key-timeout'] ?? 600) * 1000,
    acceptNewHostKeys: context.acceptNewHostKeys ?? false,
    patience,
    ...(settings.address ? { address: settings.address } : {}),
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
  async function listNodes({ group, ready, readOnly, signal, spec }: NodeQuery): Promise<Node[]> {
    if (spec && !readOnly) await syncGroupRules(spec, signal)
    // Names go into filters as themselves: `*` and `?` in a project name are no wildcards.
    const filters: Filter[] = [
      { Name: `tag:${TAG.project}`, Values: [literalFilter(context.project)] },
      group
        ? { Name: `tag:${TAG.group}`, Values: [literalFilter(group)] }
        : { Name: 'tag-key', Values: [TAG.group] },
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
    } else nodes = instances.map((instance) => instanceNode(instance, context.name, {}, settings.address))
    return nodes.sort(
      (a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name, 'en', { numeric: true }),
    )
  }

  /** On converge: the group's security groups get exactly the rules its inbound-ports ask for. */
  async function syncGroupRules(spec: GroupSpec, signal?: AbortSignal): Promise<void> {
    const g = spec.name
    await step({ action: 'DescribeSecurityGroups', group: g }, async () => {
      for (const sg of await groupSecurityGroups(client, context.project, g, signal)) {
        const { opened, closed } = await syncRules(
          client,
          sg.GroupId!,
          sg.IpPermissions ?? [],
          [22, ...spec.node.network['inbound-ports']],
          { ...patience, ...(signal ? { signal } : {}) },
        )
        if (opened.length) context.log(`group ${g}: opened ports ${opened.join(', ')} in ${sg.GroupId}`)
        if (closed.length)
          context.log(`group ${g}: closed ports ${closed.join(', ')} no longer in inbound-ports`)
      }
    })
  }

  /** The public key to import for the group's key pair: the setting (a key line or a .pub file), else the group's login key. */
  async function publicKeyFor(group: GroupSpec): Promise<string | undefined> {
    const { key, source } = await publicKeySource(group)
    const why = key ? unimportable(key) : undefined
    if (why) {
      throw new ProviderError(
        `group ${group.name} (provider ${context.name}): the key in ${source} cannot be imported as an EC2 key pair: ${why}; use an ssh-ed25519 or ssh-rsa key`,
      )
    }
    return key
  }

  /** The public key to import and where it came from, for messages. */
  async function publicKeySource(group: GroupSpec): Promise<{ key?: string; source: string }> {
    const setting = settings['public-key']
    if (setting) {
      const source = `provider setting \`public-key\``
      if (/^(ssh-|ecdsa-|sk-)/.test(setting.trim())) return { key: setting.trim(), source }
      const file = localPath(context.projectDir, setting)
      try {
        return { key: (await readFile(file, 'utf8')).trim(), source: file }
      } catch (error) {
        throw new ProviderError(
          `provider ${context.name}: public-key: cannot read ${file} (${(error as NodeJS.ErrnoException).code}); give a key line or a .pub file`,
        )
      }
    }
    const login = group.node.login
    if (login['public-key']) return { key: login['public-key'].trim(), source: 'login.public-key' }
    if (!login['identity-file']) return { source: 'none' }
    const file = resolve(context.projectDir, login['identity-file'])
    // Its .pub, else derived from the private key (a bare .pem).
    return publicKeyOf(file).then(
      async (key) => ({
        key,
        source: (await access(`${file}.pub`).then(
          () => true,
          () => false,
        ))
          ? `${file}.pub`
          : `${file} (its public key, by ssh-keygen -y)`,
      }),
      () => ({ source: `${file}.pub` }),
    )
  }

  /**
   * The instance type and image of a group, of one architecture: a named type (the group's, the
   * setting's, else t3.micro) decides the image's architecture; with only minimums, the image given
   * by id (else x86_64) decides which types qualify. An image of another architecture is an error.
   */
  async function typeAndImage(
    group: GroupSpec,
    label: string,
    signal: AbortSignal,
  ): Promise<{ type: InstanceTypeInfo; image: ResolvedImage }> {
    const hardware = group.node.hardware
    const where = { label, region: await region(), signal, group: group.name }
    const site = { group: group.name, ...(group.node.image.id ? { image: group.node.image.id } : {}) }
    const findImage = (arch: 'x86_64' | 'arm64') =>
      step({ action: 'DescribeImages', ...site }, () => resolveImage(client, group.node.image, arch, where))
    const minimums = hardware['min-ram'] !== undefined || hardware['min-cores'] !== undefined
    const named =
      hardware['instance-type'] ??
      (minimums ? undefined : (settings['instance-type'] ?? DEFAULT_INSTANCE_TYPE))
    let type: InstanceTypeInfo
    let image: ResolvedImage
    if (named) {
      type = await step({ action: 'DescribeInstanceTypes', group: group.name }, () =>
        describeNamedType(client, named, where),
      )
      image = await findImage(imageArchitecture(type))
    } else {
      const byId = group.node.image.id ? await findImage('x86_64') : undefined
      const arch = byId?.architecture === 'arm64' ? 'arm64' : 'x86_64'
      type = await step({ action: 'DescribeInstanceTypes', group: group.name }, () =>
        chooseType(
          client,
          {
            arch,
            ...(hardware['min-ram'] !== undefined ? { minRam: hardware['min-ram'] } : {}),
            ...(hardware['min-cores'] !== undefined ? { minCores: hardware['min-cores'] } : {}),
          },
          where,
        ),
      )
      image = byId ?? (await findImage(arch))
    }
    if (image.architecture && !type.architectures.includes(image.architecture)) {
      throw new ProviderError(
        `${label}: image ${image.imageId} is ${image.architecture} but instance type ${type.type} runs ${type.architectures.join('/')}: choose an image and an instance type of one architecture (Graviton types such as t4g, m7g and a1 run arm64)`,
      )
    }
    return { type, image }
  }

  /**
   * Everything a launch needs that can be read without changing anything: names, the key to import,
   * type, image and network. Each check fails as createNodes would, before it makes anything.
   */
  async function launchPlan(group: GroupSpec, signal: AbortSignal) {
    const g = group.name
    const label = `group ${g} (provider ${context.name})`
    const groupName = `forklift-${context.project}-${g}`
    const keyName = settings['key-name'] ?? groupName
    checkProjectNames(label, { project: context.project, securityGroup: groupName, keyPair: keyName })
    const publicKey = await publicKeyFor(group)
    const { type, image } = await typeAndImage(group, label, signal)
    const network = await step({ action: 'DescribeSubnets', group: g }, async () =>
      resolveNetwork(client, settings, { label, region: await region(), signal }),
    )
    return { label, groupName, keyName, publicKey, type, image, network }
  }

  async function createNodes(group: GroupSpec, count: number, signal: AbortSignal): Promise<Node[]> {
    const g = group.name
    const { label, groupName, keyName, publicKey, type, image, network } = await launchPlan(group, signal)
    const instanceType = type.type
    const ownership = { [TAG.project]: context.project, [TAG.group]: g }
    const tags = tagList({ ...userTags, ...ownership })
    const keyPair = await step({ action: 'ImportKeyPair', group: g }, () =>
      ensureKeyPair(client, { name: keyName, ...(publicKey ? { publicKey } : {}), tags, signal, label }),
    )
    if (keyPair === 'imported') context.log(`imported key pair ${keyName} for group ${g}`)

    const securityGroup = await step({ action: 'CreateSecurityGroup', group: g }, () =>
      ensureSecurityGroup(client, {
        name: groupName,
        description: `Forklift group ${g} of project ${context.project}`,
        vpc: network.vpc,
        ports: [22, ...group.node.network['inbound-ports']],
        tags,
        patience: { ...patience, signal },
        label,
      }),
    )
    if (securityGroup.closed.length > 0) {
      context.log(`group ${g}: closed ports ${securityGroup.closed.join(', ')} no longer in inbound-ports`)
    }

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
        // The key pair and security group may be new: EC2 may not know them for a while.
        untilSeen(['InvalidGroup.NotFound', 'InvalidKeyPair.NotFound'], { ...patience, signal }, () =>
          client.send(
            new RunInstancesCommand({
              ImageId: image.imageId,
              // Any type name EC2 knows, including ones newer than this SDK's list.
              InstanceType: instanceType as _InstanceType,
              MinCount: count,
              MaxCount: count,
              KeyName: keyName,
              SecurityGroupIds: [securityGroup.id],
              ...(network.subnet ? { SubnetId: network.subnet } : {}),
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
    await step({ action: 'DescribeInstances', group }, () =>
      waitForStates(readiness, ids, ['shutting-down', 'terminated'], signal),
    )
    if (settings['keep-group-resources']) return
    // A group left without nodes takes its security group and key pair with it: no port stays open.
    for (const g of new Set(nodes.map((n) => n.group))) {
      const left = await listNodes({ group: g, signal })
      if (left.length > 0) continue
      const gone = nodes.filter((n) => n.group === g).map((n) => n.id)
      await step({ action: 'DeleteSecurityGroup', group: g }, () =>
        removeGroupResources(readiness, {
          project: context.project,
          group: g,
          terminated: gone,
          ...(settings['key-name'] ? { keepKeyName: settings['key-name'] } : {}),
          signal,
        }),
      )
    }
  }

  return {
    listNodes,
    createNodes,
    destroyNodes,
    // A dry run reads what a launch would use; destroying needs nothing listing did not prove.
    async preflight({ group, create }, signal) {
      if (create <= 0) return
      const { type, image } = await launchPlan(group, signal)
      context.log(`group ${group.name}: would launch ${create} × ${type.type} from ${image.imageId}`)
    },
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
