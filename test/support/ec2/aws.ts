import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { GroupSpec, NodeSpec } from '../../../src/core/model/group.js'
import type { Provider } from '../../../src/core/providers/types.js'
import ec2 from '../../../src/plugins/ec2/index.js'
import { BAD_ACCESS_KEY_ID, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY } from './endpoint.js'

/** Profiles of the shared AWS files useAwsProfiles writes. */
export const PROFILE = 'forklift-test'
export const REVOKED_PROFILE = 'forklift-revoked'
/** A profile with credentials but no region. */
export const NO_REGION_PROFILE = 'forklift-no-region'

/**
 * Point this process's AWS SDK at shared config and credentials files in `dir` holding the test
 * profiles, and clear every other credential source (environment keys, instance metadata).
 */
export async function useAwsProfiles(dir: string): Promise<void> {
  const credentials = join(dir, 'aws-credentials')
  const config = join(dir, 'aws-config')
  const profile = (name: string, key: string) =>
    `[${name}]\naws_access_key_id = ${key}\naws_secret_access_key = ${TEST_SECRET_ACCESS_KEY}\n`
  await writeFile(
    credentials,
    profile(PROFILE, TEST_ACCESS_KEY_ID) +
      profile(REVOKED_PROFILE, BAD_ACCESS_KEY_ID) +
      profile(NO_REGION_PROFILE, TEST_ACCESS_KEY_ID),
  )
  await writeFile(
    config,
    `[profile ${PROFILE}]\nregion = us-east-1\n[profile ${REVOKED_PROFILE}]\nregion = us-east-1\n`,
  )
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_EC2',
    'AWS_MAX_ATTEMPTS',
  ]) {
    delete process.env[name]
  }
  process.env.AWS_SHARED_CREDENTIALS_FILE = credentials
  process.env.AWS_CONFIG_FILE = config
  // Never fall through to the instance metadata service: tests dial loopback only.
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
}

/** A provider opened through the plugin's factory, as the registry would, with its log lines kept. */
export async function openEc2Provider(
  settings: Record<string, unknown>,
  options: {
    project?: string
    runId?: string
    projectDir?: string
    name?: string
    acceptNewHostKeys?: boolean
  } = {},
): Promise<{ provider: Provider; logs: string[]; warnings: string[] }> {
  const logs: string[] = []
  const warnings: string[] = []
  const provider = await ec2.create({
    ...(options.acceptNewHostKeys ? { acceptNewHostKeys: true } : {}),
    warn: (message) => {
      warnings.push(message)
      logs.push(message)
    },
    name: options.name ?? 'aws',
    project: options.project ?? 'demo',
    projectDir: options.projectDir ?? process.cwd(),
    settings: ec2.settingsSchema.parse(settings) as Record<string, unknown>,
    runId: options.runId ?? Math.random().toString(16).slice(2, 14),
    log: (message) => logs.push(message),
  })
  return { provider, logs, warnings }
}

/** A group as the engine hands it to providers. */
export function groupSpec(name: string, node: Partial<NodeSpec> = {}, count = 1): GroupSpec {
  return {
    name,
    provider: 'aws',
    count,
    node: {
      image: { os: 'debian', version: '12' },
      hardware: {},
      network: { 'inbound-ports': [] },
      login: {},
      ...node,
    },
    crates: [],
    phases: {},
    environment: {},
  }
}
