import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Errors } from '@oclif/core'
import { asksForJson } from '../../../src/cli/command.js'
import { failureJson, failureOf, failureText } from '../../../src/cli/errors.js'
import { ActionError } from '../../../src/core/actions/validate.js'
import { ConfigError } from '../../../src/core/config/errors.js'
import { PodCrateError } from '../../../src/core/crates/pod-runner.js'
import { CrateError as ResolveCrateError } from '../../../src/core/crates/resolve.js'
import { ProjectLockedError } from '../../../src/core/engine/lock.js'
import { PhaseError } from '../../../src/core/engine/phase.js'
import {
  CrateError,
  EXIT,
  errorMessage,
  ForkliftError,
  isForkliftError,
  ProviderError,
  UsageError,
} from '../../../src/core/errors.js'
import { FactsError } from '../../../src/core/facts/values.js'
import { HailError } from '../../../src/core/hail/errors.js'
import { HttpError } from '../../../src/core/hail/http.js'
import { LockHeldError } from '../../../src/core/hail/lock.js'
import { PodSandboxError } from '../../../src/core/pods/sandbox.js'
import { RegistryError } from '../../../src/core/providers/registry.js'
import { NodesPartlyCreatedError } from '../../../src/core/providers/types.js'
import { TransportError } from '../../../src/core/transport/types.js'
import * as publicApi from '../../../src/index.js'
import { ProviderError as Ec2ProviderError } from '../../../src/plugins/ec2/errors.js'
import {
  VagrantCommandError,
  ProviderError as VagrantProviderError,
} from '../../../src/plugins/vagrant/errors.js'

describe('the error vocabulary', () => {
  // Every error Forklift raises on purpose, with the name, code and exit status it reports.
  const cases: [Error, string, string, number][] = [
    [
      new ConfigError({ file: 'forklift.yaml', line: 2, column: 3, message: 'bad' }),
      'ConfigError',
      'CONFIG',
      2,
    ],
    [new UsageError('no group "x"'), 'UsageError', 'USAGE', 2],
    [new ProviderError('no credentials'), 'ProviderError', 'PROVIDER', 2],
    [new CrateError('crate "x" not found'), 'CrateError', 'CRATE', 2],
    [new RegistryError('cannot load'), 'RegistryError', 'PLUGIN', 2],
    [new PodSandboxError('no bubblewrap'), 'PodSandboxError', 'SANDBOX', 2],
    [new LockHeldError('held by pid 7', 7), 'UsageError', 'HAIL_LOCKED', 2],
    [new ProjectLockedError('another converge'), 'ProjectLockedError', 'PROJECT_LOCKED', 1],
    [new HailError('activate', 'activation failed'), 'HailError', 'HAIL', 1],
    [new HttpError('http://x: HTTP 500', 'status', 500), 'HttpError', 'HTTP', 1],
    [new TransportError('web-1: refused', 'refused'), 'TransportError', 'TRANSPORT', 1],
    [new FactsError('facts: no os'), 'FactsError', 'FACTS', 1],
    [new ActionError('action 1: bad'), 'ActionError', 'ACTION', 1],
    [new PhaseError('crate "x" was not resolved'), 'PhaseError', 'PHASE', 1],
    [new PodCrateError('x', 'configure', 'web-1', new Error('boom')), 'PodCrateError', 'CRATE', 1],
    [new NodesPartlyCreatedError('1 of 2 failed', []), 'NodesPartlyCreatedError', 'PROVIDER', 2],
    [new VagrantCommandError('up', 'web-1', 1, null, 'no box'), 'ProviderError', 'PROVIDER', 2],
  ]
  for (const [error, name, code, exitCode] of cases) {
    it(`${name} (${code}) is a ForkliftError with exit status ${exitCode}`, () => {
      assert.ok(error instanceof ForkliftError)
      assert.ok(isForkliftError(error))
      assert.equal(error.name, name)
      assert.equal((error as ForkliftError).code, code)
      assert.equal((error as ForkliftError).exitCode, exitCode)
      assert.equal(String(error).startsWith(`${name}: `), true)
    })
  }

  it('defines ProviderError and CrateError once: the plugins and crates use the public classes', () => {
    assert.equal(Ec2ProviderError, ProviderError)
    assert.equal(VagrantProviderError, ProviderError)
    assert.equal(ResolveCrateError, CrateError)
    assert.equal(publicApi.ProviderError, ProviderError)
    assert.equal(publicApi.CrateError, CrateError)
    assert.equal(publicApi.UsageError, UsageError)
    assert.equal(publicApi.ConfigError, ConfigError)
    assert.equal(publicApi.ForkliftError, ForkliftError)
  })

  it("keeps a vagrant command's own exit status apart from the error's", () => {
    const error = new VagrantCommandError('up', 'web-1', 3, null, 'no box')
    assert.equal(error.status, 3)
    assert.equal(error.exitCode, EXIT.usage)
    assert.equal(error.message, 'vagrant up web-1 failed (exit 3): no box')
  })

  it('keeps a hint and a cause', () => {
    const cause = new Error('ENOENT')
    const error = new ProviderError('cannot read the key', { hint: 'set key-file', cause })
    assert.equal(error.hint, 'set key-file')
    assert.equal(error.cause, cause)
    assert.equal(new UsageError('x').hint, undefined)
    assert.equal('hint' in new UsageError('x'), false)
  })

  it("recognises a ForkliftError made by another copy of the module (a plugin's own forklift)", () => {
    // What another copy's constructor leaves on its errors: the brand, not this copy's prototype.
    const foreign = Object.assign(new Error('from a copy'), { code: 'PROVIDER', exitCode: 2 })
    Object.defineProperty(foreign, Symbol.for('forklift.error'), { value: true })
    assert.ok(isForkliftError(foreign))
    assert.deepEqual(failureOf(foreign), { message: 'from a copy', code: 'PROVIDER', exitCode: 2 })
    assert.equal(isForkliftError(new Error('plain')), false)
  })
})

describe('errorMessage', () => {
  it('gives the message of anything thrown', () => {
    assert.equal(errorMessage(new TypeError('bad type')), 'bad type')
    assert.equal(errorMessage('a string'), 'a string')
    assert.equal(errorMessage({ message: 'like an error' }), 'like an error')
    assert.equal(errorMessage({}), '{}')
    assert.equal(errorMessage({ a: 1 }), '{ a: 1 }')
    assert.equal(errorMessage(42), '42')
    assert.equal(errorMessage(undefined), 'undefined')
    assert.equal(errorMessage(null), 'null')
  })
})

describe('failureOf: how a command reports an error', () => {
  it('takes message, code, exit status and hint from a ForkliftError', () => {
    assert.deepEqual(failureOf(new UsageError('no group "x"', { hint: 'groups: web' })), {
      message: 'no group "x"',
      code: 'USAGE',
      exitCode: 2,
      hint: 'groups: web',
    })
    assert.deepEqual(failureOf(new ProjectLockedError('held')), {
      message: 'held',
      code: 'PROJECT_LOCKED',
      exitCode: 1,
    })
  })

  it("makes oclif's parse errors usage errors, exit status 2", () => {
    const parse = new Errors.CLIError('Nonexistent flag: --bogus', { exit: 2 })
    assert.deepEqual(failureOf(parse), { message: 'Nonexistent flag: --bogus', code: 'USAGE', exitCode: 2 })
  })

  it('leaves `this.exit(n)` alone: the command has said what it had to', () => {
    assert.equal(failureOf(new Errors.ExitError(1)), undefined)
  })

  it('treats a plain Error named ProviderError by hand (the old plugin contract) as a ProviderError', () => {
    const error = new Error('no such rack')
    error.name = 'ProviderError'
    assert.deepEqual(failureOf(error), { message: 'no such rack', code: 'PROVIDER', exitCode: 2 })
  })

  it('makes anything else unexpected, exit status 1, never with an empty message', () => {
    assert.deepEqual(failureOf(new TypeError('x is undefined')), {
      message: 'x is undefined',
      code: 'UNEXPECTED',
      exitCode: 1,
    })
    assert.equal(failureOf(new Error(''))!.message, 'Error')
    assert.equal(failureOf({})!.message, '{}')
    assert.equal(failureOf('text')!.message, 'text')
    // Not sorted by name any more: a plain Error called UsageError is no usage error.
    const named = new Error('x')
    named.name = 'UsageError'
    assert.equal(failureOf(named)!.exitCode, 1)
  })

  it('prints as {"error": {message, code, exitCode}}, the hint only when there is one', () => {
    assert.deepEqual(failureJson(failureOf(new CrateError('crate "x": not found'))!), {
      error: { message: 'crate "x": not found', code: 'CRATE', exitCode: 2 },
    })
    assert.deepEqual(Object.keys(failureJson(failureOf(new UsageError('u', { hint: 'h' }))!).error), [
      'message',
      'code',
      'exitCode',
      'hint',
    ])
  })

  it('shows as one Error line on a terminal, control characters made visible', () => {
    assert.equal(failureText(failureOf(new UsageError('no group "x"'))!), 'Error: no group "x"\n')
    assert.equal(
      failureText(failureOf(new ProviderError('bad\x1b[2K key', { hint: 'set it' }))!),
      'Error: bad^[[2K key\nHint: set it\n',
    )
  })
})

describe('asksForJson', () => {
  it('sees --json before any --', () => {
    assert.equal(asksForJson(['--json']), true)
    assert.equal(asksForJson(['web', '--json', '--bogus']), true)
    assert.equal(asksForJson(['web']), false)
    assert.equal(asksForJson(['--', '--json']), false)
    assert.equal(asksForJson(['--json', '--', 'x']), true)
  })
})
