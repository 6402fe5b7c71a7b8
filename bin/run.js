#!/usr/bin/env node
// A run's Ctrl-C, SIGTERM or SIGHUP in its first moments (while the CLI still loads) is kept for the run
// to report, as later ones are, instead of ending the process with no output.
if (['lift', 'converge'].includes(process.argv[2])) {
  const { holdInterrupts } = await import('../dist/src/cli/interrupts.js')
  holdInterrupts()
}

// oclif's package index checks the Node version with semver (~40 ms of module loading at every start);
// the same check, against this package's `engines`, costs nothing here.
import { readFileSync } from 'node:fs'

const wanted = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node
const [major, minor] = process.versions.node.split('.').map(Number)
const [needMajor, needMinor = 0] = /(\d+)(?:\.(\d+))?/
  .exec(wanted)
  .slice(1)
  .map((v) => Number(v ?? 0))
if (major < needMajor || (major === needMajor && minor < needMinor)) {
  process.emitWarning(
    `Node version must be ${wanted} to use this CLI. Current node version: ${process.versions.node}`,
  )
}
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'

// Only the parts of oclif the entry needs; a command loads the rest when it runs.
const { run } = await import('@oclif/core/run')
const { flush } = await import('@oclif/core/flush')
const Errors = await import('@oclif/core/errors')

// `--version` with flags is the `version` command, so that `--version --json` is JSON (oclif prints a line).
const argv = process.argv.slice(2)
if (argv[0] === '--version' && argv.length > 1) argv[0] = 'version'

try {
  await run(argv, import.meta.url)
  await flush()
} catch (error) {
  // A user's mistake is one unwrapped line (oclif would fold it to the terminal's width); the rest is oclif's.
  if (error instanceof Errors.CLIError && error.code !== 'EEXIT' && !error.skipOclifErrorHandling) {
    process.stderr.write(`Error: ${error.message}\n`)
    process.exit(error.oclif?.exit ?? 2)
  }
  await Errors.handle(error)
}
