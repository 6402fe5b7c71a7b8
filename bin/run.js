#!/usr/bin/env node
import { Errors, flush, run } from '@oclif/core'

try {
  await run(process.argv.slice(2), import.meta.url)
  await flush()
} catch (error) {
  // A user's mistake is one unwrapped line (oclif would fold it to the terminal's width); the rest is oclif's.
  if (error instanceof Errors.CLIError && error.code !== 'EEXIT' && !error.skipOclifErrorHandling) {
    process.stderr.write(`Error: ${error.message}\n`)
    process.exit(error.oclif?.exit ?? 2)
  }
  await Errors.handle(error)
}
