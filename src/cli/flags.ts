import { Flags } from '@oclif/core'

/** Flags every project command shares. */
export const projectFlags = {
  config: Flags.string({ char: 'c', description: 'Path of forklift.yaml', default: 'forklift.yaml' }),
  json: Flags.boolean({ description: 'Print one JSON document instead of progress', default: false }),
}

/** How pods are isolated: overrides forklift.yaml's `sandbox`. */
export const sandboxFlag = Flags.string({
  description:
    "How pods are isolated: auto (bubblewrap, else unshare), bwrap, unshare, or node-only (Node's permission model alone; warns)",
  options: ['auto', 'bwrap', 'unshare', 'node-only'],
})

/** Flags of the commands that run phases (lift, converge). */
export const runFlags = {
  ...projectFlags,
  sandbox: sandboxFlag,
  phase: Flags.string({
    char: 'p',
    description:
      'Phase to run (repeatable): bootstrap, settings, configure, or one a group or its crates define',
    multiple: true,
  }),
  'dry-run': Flags.boolean({
    char: 'n',
    description: 'Run checks only: change nothing, show what would change',
    default: false,
  }),
  concurrency: Flags.integer({
    description: 'Nodes worked on at once (1–1000)',
    default: 10,
    min: 1,
    max: 1000,
  }),
  batch: Flags.string({ description: 'Rolling work: run each phase on N nodes (or N%) at a time' }),
  'max-fail': Flags.integer({
    description: 'Start nothing new once more than this percentage of nodes failed (the rest: skipped)',
    min: 0,
    max: 100,
  }),
  consider: Flags.string({
    description: 'Run only the settings phase of this group, so its data can be read',
    multiple: true,
  }),
  env: Flags.string({ description: 'YAML file merged over the environment (repeatable)', multiple: true }),
  set: Flags.string({ description: 'Set an environment value: key.path=value (repeatable)', multiple: true }),
  'accept-new-host-keys': Flags.boolean({
    description: 'Trust and record host keys seen for the first time',
    default: false,
  }),
  'connect-timeout': Flags.integer({
    description: 'SSH connect timeout in seconds (1–3600)',
    default: 10,
    min: 1,
    max: 3600,
  }),
  verbose: Flags.boolean({ char: 'v', description: 'Show every action', default: false }),
}
