import { Flags } from '@oclif/core'
import { ForkliftCommand } from '../cli/command.js'
import { watcherConfig } from '../core/hail/config.js'
import { formatLogLine, type HailLog } from '../core/hail/log.js'
import { openWatcher } from '../core/hail/open-watcher.js'
import type { Watcher } from '../core/hail/watcher.js'

/** The flags naming a profile and its state folder, shared by every hail command. */
export const profileFlags = {
  profile: Flags.string({ description: 'Profile name under the profiles folder (e.g. web)', required: true }),
  'profiles-dir': Flags.string({ description: 'Folder of the profiles [default: /nix/var/nix/profiles]' }),
  'state-dir': Flags.string({
    description:
      'Folder of status.json and the watcher state [default: /var/lib/forklift/hail/PROFILE as root]',
  }),
}

/** The watcher's own flags (also written into units by `hail unit`). */
export const watcherFlags = {
  ...profileFlags,
  'job-uri': Flags.string({ description: 'Hydra job URI: https://hydra.example.org/job/PROJECT/JOBSET/JOB' }),
  source: Flags.string({
    description: 'Where builds come from',
    options: ['hydra', 'manifest'],
    default: 'hydra',
  }),
  url: Flags.string({ description: 'With --source manifest: URL of the JSON manifest (id, url, sha256)' }),
  'netrc-file': Flags.string({
    description: 'netrc file with credentials for Hydra [default: /etc/netrc if it exists]',
  }),
  'poll-period': Flags.string({
    description: 'Time between polls: minutes, or a duration like 30s',
    default: '5',
  }),
  oneshot: Flags.boolean({ description: 'Poll (and deploy) once, then exit: 0 done, 1 failed' }),
  'require-eval-success': Flags.boolean({
    description: "Deploy only when every job of the build's evaluation succeeded",
  }),
  'health-check': Flags.string({
    description: 'Shell command run after activate; a non-zero exit rolls back',
  }),
  'health-check-timeout': Flags.string({ description: 'Time limit of the health check', default: '2m' }),
  'activate-timeout': Flags.string({ description: 'Time limit of bin/activate', default: '5m' }),
  'on-change': Flags.string({
    description: 'Shell command run after a deployment (HAIL_BUILD_ID, HAIL_PATH …)',
  }),
  'on-failure': Flags.string({
    description: 'Shell command run when a poll or deployment fails (HAIL_ERROR …)',
  }),
  'dry-run': Flags.boolean({ description: 'Monitor only: report new builds, change nothing' }),
  'nix-option': Flags.string({
    description: 'Nix option NAME=VALUE for nix-store and nix-env (repeatable)',
    multiple: true,
  }),
  'allow-self-signed': Flags.boolean({ description: "Accept a self-signed certificate from Hydra's HTTPS" }),
  'http-timeout': Flags.string({
    description: 'Time limit of each request to Hydra or the manifest',
    default: '30s',
  }),
  'fetch-timeout': Flags.string({
    description: 'Time limit of a realise or artifact download',
    default: '30m',
  }),
  'max-backoff': Flags.string({ description: 'Longest wait between polls after failures', default: '1h' }),
}

export default class Hail extends ForkliftCommand {
  static override summary =
    "Deploy a Hydra job's latest build (or a manifest's) to a profile, and keep it current"
  static override description =
    `Polls the job's latest successful build; when it changes, realises it from the binary cache, makes it the profile's new generation and runs PROFILE/bin/activate. A failed activation or health check rolls back to the previous generation. SIGHUP (or \`forklift hail poll-now\`) polls at once; SIGTERM finishes the step in progress and exits 0.`
  static override examples = [
    '<%= config.bin %> hail --profile web --job-uri https://hydra.example.org/job/infra/prod/web',
    '<%= config.bin %> hail --profile web --source manifest --url https://deploy.example.org/web.json --poll-period 30s',
  ]
  static override jsonLines = true
  static override flags = {
    ...watcherFlags,
    json: Flags.boolean({ description: 'Log one JSON object per line' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Hail)
    const print = flags.json
      ? (record: HailLog) => this.log(JSON.stringify(record))
      : (record: HailLog) => record.level !== 'debug' && this.log(formatLogLine(record))
    const controller = new AbortController()
    let watcher: Watcher | undefined
    const onStop = (signal: NodeJS.Signals) => {
      if (controller.signal.aborted) return
      print({
        time: new Date().toISOString(),
        level: 'info',
        event: 'signal',
        msg: `${signal}: finishing the step in progress, then exiting`,
        profile: flags.profile,
      })
      controller.abort(new Error(signal))
    }
    const onHup = () => watcher?.pollNow()
    process.on('SIGTERM', onStop)
    process.on('SIGINT', onStop)
    process.on('SIGHUP', onHup)
    try {
      watcher = await openWatcher(watcherConfig(flags), print)
      const outcome = await watcher.run(controller.signal)
      if (flags.oneshot && !outcome.ok && !controller.signal.aborted) {
        // The reason as one unwrapped line, for logs and cron mail.
        process.stderr.write(`Error: ${outcome.message}\n`)
        this.exit(1)
      }
    } finally {
      process.off('SIGTERM', onStop)
      process.off('SIGINT', onStop)
      process.off('SIGHUP', onHup)
    }
  }
}
