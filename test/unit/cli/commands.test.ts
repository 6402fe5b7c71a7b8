import assert from 'node:assert/strict'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ForkliftCommand } from '../../../src/cli/command.js'

// Every command reports its errors through the one catch of ForkliftCommand: a command that extends
// oclif's Command directly would print a stack, or text under --json.

const commandsDir = fileURLToPath(new URL('../../../src/commands/', import.meta.url))

function modules(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return modules(path)
    return name.endsWith('.js') ? [path] : []
  })
}

describe('commands', () => {
  const files = modules(commandsDir)
  it('are found', () => assert.ok(files.length >= 17, files.join('\n')))
  for (const file of files) {
    it(`${file.slice(commandsDir.length)} extends ForkliftCommand`, async () => {
      const command = ((await import(pathToFileURL(file).href)) as { default: unknown }).default
      assert.equal(typeof command, 'function')
      assert.ok((command as { prototype: unknown }).prototype instanceof ForkliftCommand)
    })
  }
})
