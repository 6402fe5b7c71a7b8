import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runCli } from '../../support/cli.js'

describe('-h', () => {
  it('is --help, for the CLI and every command', async () => {
    for (const args of [['-h'], ['lift', '-h'], ['pod', 'eval', '-h']]) {
      const run = await runCli(args)
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`)
      assert.match(run.stdout, /USAGE/, args.join(' '))
    }
  })
})
