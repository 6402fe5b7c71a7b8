import { setTimeout as sleep } from 'node:timers/promises'
import {
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeKeyPairsCommand,
  type Filter,
} from '@aws-sdk/client-ec2'
import { groupSecurityGroups } from './access.js'
import { awsErrorCode } from './errors.js'
import { literalFilter, TAG } from './instances.js'
import { failureReason, type Readiness, waitForStates } from './ready.js'

/** DeleteSecurityGroup tries while EC2 still holds the group for terminated instances' interfaces. */
const DEPENDENCY_ATTEMPTS = 24

/**
 * What a group leaves behind once its last node is gone: its security groups and the key pairs
 * Forklift imported for it (found by their tags; `keepKeyName`, a key pair named in the settings,
 * stays). The security group goes once the instances are `terminated`, tried again while EC2 answers
 * DependencyViolation; one that cannot go is a warning naming it.
 */
export async function removeGroupResources(
  r: Readiness,
  options: {
    project: string
    group: string
    terminated: string[]
    keepKeyName?: string
    signal?: AbortSignal
  },
): Promise<void> {
  const { signal } = options
  const call = { abortSignal: signal }
  const owned: Filter[] = [
    { Name: `tag:${TAG.project}`, Values: [literalFilter(options.project)] },
    { Name: `tag:${TAG.group}`, Values: [literalFilter(options.group)] },
  ]
  const groups = await groupSecurityGroups(r.client, options.project, options.group, signal)
  if (groups.length > 0 && options.terminated.length > 0) {
    await waitForStates(r, options.terminated, ['terminated'], signal)
  }
  for (const sg of groups) {
    for (let attempt = 1; ; attempt++) {
      try {
        await r.client.send(new DeleteSecurityGroupCommand({ GroupId: sg.GroupId! }), call)
        r.log(`group ${options.group}: deleted security group ${sg.GroupName} (${sg.GroupId})`)
        break
      } catch (error) {
        const code = awsErrorCode(error)
        if (code === 'InvalidGroup.NotFound') break
        if (code !== 'DependencyViolation' || attempt >= DEPENDENCY_ATTEMPTS) {
          if (signal?.aborted) throw error
          r.warn(
            `group ${options.group}: its security group ${sg.GroupName} (${sg.GroupId}) is left (${failureReason(error)}); delete it once nothing uses it: aws ec2 delete-security-group --group-id ${sg.GroupId}`,
          )
          break
        }
        await sleep(r.delayS * 1000, undefined, signal ? { signal } : {})
      }
    }
  }
  const pairs = (await r.client.send(new DescribeKeyPairsCommand({ Filters: owned }), call)).KeyPairs ?? []
  for (const pair of pairs) {
    if (!pair.KeyName || pair.KeyName === options.keepKeyName) continue
    await r.client.send(new DeleteKeyPairCommand({ KeyName: pair.KeyName }), call)
    r.log(`group ${options.group}: deleted key pair ${pair.KeyName}`)
  }
}
