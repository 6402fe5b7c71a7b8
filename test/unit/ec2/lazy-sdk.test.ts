import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { repoRoot } from '../../support/paths.js'

const run = promisify(execFile)

// The plugin module is imported whenever a config names type ec2 (for its settings schema); the AWS
// SDK, ~0.4 s to load, must wait until a provider is actually opened.
const probe = `
import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const sdkLoaded = () => Object.keys(require.cache).some((path) => path.includes('@aws-sdk'))
const { default: factory } = await import(process.argv[1])
const afterImport = sdkLoaded()
const parsed = factory.settingsSchema.safeParse({ region: 'eu-west-1', 'waiter-delay': 0.5, tags: { team: 'ops' } })
const rejected = factory.settingsSchema.safeParse({ regoin: 'eu-west-1' })
const provider = await factory.create({
  name: 'aws', project: 'demo', projectDir: '.', runId: 'r1', log() {},
  settings: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9' },
})
await provider.close()
console.log(JSON.stringify({
  type: factory.type, canCreate: factory.canCreate, afterImport, afterCreate: sdkLoaded(),
  parsed: parsed.success, rejected: rejected.success,
}))
`

describe('ec2 plugin module', () => {
  it('declares the provider without loading the AWS SDK until one is created', async () => {
    const module = pathToFileURL(join(repoRoot, 'dist', 'src', 'plugins', 'ec2', 'index.js')).href
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe, module], {
      cwd: repoRoot,
    })
    assert.deepEqual(JSON.parse(stdout), {
      type: 'ec2',
      canCreate: true,
      afterImport: false,
      afterCreate: true,
      parsed: true,
      rejected: false,
    })
  })
})
