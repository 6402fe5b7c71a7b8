import { ProviderError } from '../../core/errors.js'

// A provider failure the user can act on (one line, never a stack): Forklift's own ProviderError.
export { ProviderError }

/** Where a failing EC2 call came from, so its message can name it. */
export interface CallSite {
  /** Provider instance name from forklift.yaml. */
  provider: string
  /** The group the call was made for (absent when listing every group). */
  group?: string
  /** EC2 action, e.g. RunInstances. */
  action: string
  region?: string
  /** The image a launch used, for InvalidAMIID errors. */
  image?: string
  /** The instance type a launch used, for capacity errors. */
  instanceType?: string
  /** The profile setting, for credential hints. */
  profile?: string
}

/** The error code of an AWS SDK error (EC2 puts it in `name` and `Code`), if it is one. */
export function awsErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  const e = error as Error & { Code?: string; $metadata?: unknown; $fault?: string }
  if (e.Code) return e.Code
  if (e.$metadata !== undefined || e.$fault !== undefined) return e.name
  return undefined
}

const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
])

/** The EC2 action a failure came from, when the client labelled it (see calls.ts). */
export function failedAction(error: unknown): string | undefined {
  const action = (error as { $action?: unknown } | undefined)?.$action
  return typeof action === 'string' && action ? action : undefined
}

/** Whether an error code says EC2 throttled the call. */
export function isThrottling(code: string | undefined): boolean {
  return code !== undefined && THROTTLING.has(code)
}
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
])

/** Turn an SDK failure into one line naming the group and what to do; ProviderErrors pass through. */
export function explainAwsError(error: unknown, callSite: CallSite): ProviderError {
  if (error instanceof ProviderError) return error
  const where = callSite.group
    ? `group ${callSite.group} (provider ${callSite.provider})`
    : `provider ${callSite.provider}`
  const err = error instanceof Error ? error : new Error(String(error))
  const code = awsErrorCode(err)
  const message = firstLine(err.message)
  // The call that failed names itself; the step it was part of is only the fallback.
  const site = { ...callSite, action: failedAction(err) ?? callSite.action }
  const line = (text: string) => new ProviderError(`${where}: ${text}`, { cause: error })
  const profile = site.profile ? `profile "${site.profile}"` : 'the credentials in use'

  if (err.name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return line(
      site.profile
        ? `no AWS credentials for profile "${site.profile}" (${message}): check ~/.aws/config and ~/.aws/credentials, or run "aws sso login --profile ${site.profile}"`
        : 'no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set the provider setting `profile` to a profile of ~/.aws/config, or run "aws sso login"',
    )
  }
  if (/region is missing/i.test(message)) {
    return line(
      'no AWS region: set the provider setting `region` (e.g. eu-west-1), AWS_REGION, or a region in the profile',
    )
  }
  switch (code) {
    case 'AuthFailure':
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
    case 'UnrecognizedClientException':
      return line(
        `AWS rejected ${profile} (${code}) calling ${site.action}: check the access key id and secret (or refresh the session), and that this machine's clock is right`,
      )
    case 'ExpiredToken':
    case 'RequestExpired':
      return line(
        `the AWS session of ${profile} has expired (${code}): refresh it (e.g. "aws sso login") and run again`,
      )
    case 'UnauthorizedOperation':
    case 'AccessDenied': {
      // EC2's message says who was denied what; an encoded part says why (which policy, which
      // condition, or another action such as ec2:CreateTags for launch tags).
      const encoded = /Encoded authorization failure message:\s*(\S+)/.exec(err.message)?.[1]
      const decode = encoded
        ? `; to read why, run: aws sts decode-authorization-message --encoded-message ${encoded} (it needs sts:DecodeAuthorizationMessage)`
        : ''
      return line(
        `not allowed to call ec2:${site.action} (${code}): ${message.replace(/\s*Encoded authorization failure message:\s*\S+/, '')} Grant it to the IAM identity of ${profile}, or use a profile that has it${decode}`,
      )
    }
    case 'InvalidAMIID.NotFound':
    case 'InvalidAMIID.Malformed':
    case 'InvalidAMIID.Unavailable':
      return line(
        `image ${site.image ?? '(unknown)'} does not exist in region ${site.region ?? '(default)'} (${code}): set image.id to an AMI of that region, or use image.os and image.version`,
      )
    case 'InstanceLimitExceeded':
      return line(
        `the account's instance limit in region ${site.region ?? '(default)'} is reached (${code}): lower the group count, terminate unused instances, or ask AWS for a higher quota`,
      )
    case 'VcpuLimitExceeded':
      return line(
        `the account's vCPU quota for ${site.instanceType ?? 'this instance type'}'s family in region ${site.region ?? '(default)'} is used up (${code}: ${message}): lower the group count, pick a smaller instance type, or raise the quota (Service Quotas, "Running On-Demand instances")`,
      )
    case 'Unsupported':
      return line(
        `EC2 does not support this launch in region ${site.region ?? '(default)'} (${code}: ${message}): choose another instance type (hardware.instance-type) or another subnet (availability zone)`,
      )
    case 'OptInRequired':
      return line(
        `the account has not accepted this image's or region's terms (${code}: ${message}): subscribe to the AMI ${site.image ?? ''} in the AWS Marketplace or enable the region, then run again`,
      )
    case 'VPCIdNotSpecified':
      return line(
        `region ${site.region ?? '(default)'} has no default VPC (${code}): set the provider setting \`subnet\` to a subnet to launch into`,
      )
    case 'InsufficientInstanceCapacity':
      return line(
        `AWS has no capacity for ${site.instanceType ?? 'this instance type'} right now (${code}): run again later, or choose another instance type or subnet (availability zone)`,
      )
    case 'InvalidKeyPair.NotFound':
      return line(
        `${message} (${code}): set the provider settings \`key-name\` and \`public-key\`, or give the group a login identity-file`,
      )
    case 'InvalidSubnetID.NotFound':
    case 'InvalidVpcID.NotFound':
      return line(
        `${message} (${code}): check the provider settings \`subnet\` and \`vpc\` for region ${site.region ?? '(default)'}`,
      )
  }
  if (code && THROTTLING.has(code)) {
    return line(
      `EC2 kept throttling ${site.action} (${code}) through every retry: run again later, or raise the provider setting \`max-attempts\``,
    )
  }
  const netCode = (err as { code?: string }).code
  if (netCode && NETWORK.has(netCode)) {
    return line(
      `cannot reach the EC2 endpoint for ${site.action} (${netCode}: ${message}): check the network, \`endpoint\` and \`region\``,
    )
  }
  if (err.name === 'AbortError') return line(`${site.action} was interrupted`)
  return line(`EC2 ${site.action} failed${code ? ` (${code})` : ''}: ${message}`)
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim()
}
