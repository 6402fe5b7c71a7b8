import { resolve } from 'node:path'
import { Flags } from '@oclif/core'
import { ForkliftCommand } from '../../cli/command.js'
import { UsageError } from '../../core/errors.js'
import { watcherConfig } from '../../core/hail/config.js'
import { readHailTemplate, renderUnit, stopTimeoutSec, unitName, watcherArgs } from '../../core/hail/unit.js'
import { watcherFlags } from '../hail.js'

export default class HailUnit extends ForkliftCommand {
  static override summary =
    'Print a systemd unit that runs the hail watcher with these flags, restarting it on failure'
  static override description =
    `Save it as /etc/systemd/system/NAME.service, then \`systemctl daemon-reload && systemctl enable --now NAME\`. With --manager, the unit is for a watcher whose builds carry other watchers' units (their bin/activate is \`forklift hail unit --activate-script\`): it installs, restarts and removes them as its builds change.`
  static override examples = [
    '<%= config.bin %> hail unit --profile web --job-uri https://hydra.example.org/job/infra/prod/web > /etc/systemd/system/forklift-hail-web.service',
    '<%= config.bin %> hail unit --manager --profile hail-units --job-uri https://hydra.example.org/job/infra/prod/units',
    '<%= config.bin %> hail unit --activate-script > bin/activate',
  ]
  // Its --json makes the unit's watcher log JSON; what this command prints is a unit file.
  static override jsonOutput = false
  static override flags = {
    ...watcherFlags,
    profile: Flags.string({ description: watcherFlags.profile.description }),
    json: Flags.boolean({ description: 'Make the watcher log JSON lines' }),
    name: Flags.string({ description: 'Unit name [default: forklift-hail-PROFILE]' }),
    user: Flags.string({ description: 'Run the watcher as this user' }),
    forklift: Flags.string({
      description: 'The forklift command on the machine [default: this node and bin/run.js]',
    }),
    manager: Flags.boolean({ description: "A manager watcher: its builds carry other watchers' units" }),
    'activate-script': Flags.boolean({
      description: "Print the manager builds' bin/activate script instead",
    }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(HailUnit)
    const templatesDir = resolve(this.config.root, 'templates')
    if (flags['activate-script']) {
      this.log((await readHailTemplate(templatesDir, 'manager-activate.sh')).trimEnd())
      return
    }
    if (!flags.profile) throw new UsageError('--profile is required')
    if (flags.oneshot)
      throw new UsageError(
        '--oneshot does not fit a unit that keeps the watcher running; run `forklift hail --oneshot` from a timer instead',
      )
    // Validate as the watcher would, so a unit is never written for flags it would refuse.
    const config = watcherConfig({ ...flags, profile: flags.profile }, '/nonexistent')
    const hailFlags = {
      ...flags,
      profile: flags.profile,
      ...(config.source.kind === 'hydra' ? { 'job-uri': config.source.jobUri } : {}),
    }
    const forklift = flags.forklift
      ? flags.forklift.split(/\s+/).filter(Boolean)
      : [process.execPath, resolve(this.config.root, 'bin', 'run.js')]
    const name = flags.name ?? unitName(flags.profile, flags.manager)
    const source = flags.source === 'manifest' ? flags.url : flags['job-uri']
    const unit = renderUnit(await readHailTemplate(templatesDir, 'forklift-hail.service'), {
      name,
      profile: flags.profile,
      description: flags.manager
        ? `Forklift hail manager: watcher units from ${source}`
        : `Forklift hail: deploy ${source} to profile ${flags.profile}`,
      argv: [...forklift, ...watcherArgs(hailFlags)],
      stopTimeoutSec: stopTimeoutSec(hailFlags),
      ...(flags.user ? { user: flags.user } : {}),
      manager: flags.manager,
    })
    this.log(unit.trimEnd())
  }
}
