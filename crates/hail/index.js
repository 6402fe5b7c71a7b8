import { durationMs, renderUnit, watcherArgs } from './unit.js'

// Deploys `forklift hail` on converged nodes: the fleet then follows a Hydra job (or a manifest)
// by itself. Settings (group → crates → hail):
//   profile            profile name (required)
//   jobUri             Hydra job URI; or source: manifest with url
//   pollPeriod, requireEvalSuccess, dryRun, healthCheck, healthCheckTimeout, activateTimeout, onChange,
//   onFailure, allowSelfSigned, httpTimeout, fetchTimeout, maxBackoff, profilesDir, stateDir, json
//                      the watcher's flags of the same name
//   nixOptions         { NAME: VALUE } passed as --nix-option NAME=VALUE
//   netrc              { machine, login, password }: written to netrcFile (mode 600)
//   netrcFile          netrc path (default /etc/forklift/hail/NAME.netrc with netrc, else hail's /etc/netrc)
//   forklift           the forklift command on the node (default /usr/local/bin/forklift); the crate
//                      installs the unit only where that command exists
//   user               run the watcher as this user; unitName, unitDir

const FLAGS = {
  pollPeriod: 'poll-period',
  requireEvalSuccess: 'require-eval-success',
  dryRun: 'dry-run',
  healthCheck: 'health-check',
  healthCheckTimeout: 'health-check-timeout',
  activateTimeout: 'activate-timeout',
  onChange: 'on-change',
  onFailure: 'on-failure',
  allowSelfSigned: 'allow-self-signed',
  httpTimeout: 'http-timeout',
  fetchTimeout: 'fetch-timeout',
  maxBackoff: 'max-backoff',
  profilesDir: 'profiles-dir',
  stateDir: 'state-dir',
}

function fail(message) {
  throw new Error(`crate "hail": ${message}`)
}

function netrcText({ machine, login, password }) {
  if (!machine || !login) fail('settings.netrc needs machine and login')
  const quote = (v) => (/^[^\s"#]+$/.test(v) ? v : `"${String(v).replace(/[\\"]/g, '\\$&')}"`)
  return `machine ${quote(machine)}\n  login ${quote(login)}\n${password === undefined ? '' : `  password ${quote(password)}\n`}`
}

/** The actions that install and start one watcher. */
function configure(ctx) {
  const s = ctx.settings
  if (typeof s.profile !== 'string' || !s.profile) fail('settings.profile is required (the profile name)')
  const source = s.source ?? 'hydra'
  if (source === 'hydra' && !s.jobUri) fail('settings.jobUri is required (or source: manifest with url)')
  if (source === 'manifest' && !s.url) fail('settings.url is required with source: manifest')
  if (source !== 'hydra' && source !== 'manifest')
    fail(`settings.source "${source}": expected hydra or manifest`)
  const name = s.unitName ?? `forklift-hail-${s.profile.replaceAll('/', '-')}`
  const unitDir = s.unitDir ?? '/etc/systemd/system'
  const netrcFile = s.netrcFile ?? (s.netrc ? `/etc/forklift/hail/${name}.netrc` : undefined)

  const flags = { profile: s.profile, source, json: s.json === true }
  if (source === 'hydra') flags['job-uri'] = String(s.jobUri).replace(/\/+$/, '')
  else flags.url = s.url
  if (netrcFile) flags['netrc-file'] = netrcFile
  for (const [key, flag] of Object.entries(FLAGS))
    if (s[key] !== undefined) flags[flag] = s[key] === true ? true : s[key] === false ? false : String(s[key])
  if (s.nixOptions) flags['nix-option'] = Object.entries(s.nixOptions).map(([k, v]) => `${k}=${v}`)

  const forklift = String(s.forklift ?? '/usr/local/bin/forklift')
    .split(/\s+/)
    .filter(Boolean)
  const command = forklift[0]
  if (!command || !/^[A-Za-z0-9_@%+=:,./-]+$/.test(command))
    fail(`settings.forklift "${s.forklift}": expected a command such as /usr/local/bin/forklift`)
  const stopTimeoutSec =
    Math.ceil(
      (durationMs(flags['activate-timeout'] ?? '5m', 'activateTimeout', 's') +
        durationMs(flags['health-check-timeout'] ?? '2m', 'healthCheckTimeout', 's')) /
        1000,
    ) + 30
  const unit = renderUnit({
    name,
    profile: s.profile,
    description: `Forklift hail: deploy ${flags['job-uri'] ?? flags.url} to profile ${s.profile}`,
    argv: [...forklift, ...watcherArgs(flags)],
    stopTimeoutSec,
    user: s.user,
  })

  // The watcher runs forklift on the node: without it the unit would only fail, so nothing is installed.
  const actions = [
    {
      type: 'exec',
      script: `echo "${command} is not on this node: install forklift there, or set the hail crate's forklift setting" >&2; exit 1`,
      unless: `command -v ${command} >/dev/null`,
    },
  ]
  const notify = ['hail-unit']
  if (s.netrc) {
    actions.push({ type: 'directory', path: netrcFile.replace(/\/[^/]*$/, '') || '/', mode: '0755' })
    actions.push({
      id: 'hail-netrc',
      type: 'file',
      path: netrcFile,
      content: netrcText(s.netrc),
      mode: '0600',
      owner: s.user ?? 'root',
    })
    notify.push('hail-netrc')
  }
  actions.push({
    id: 'hail-unit',
    type: 'file',
    path: `${unitDir}/${name}.service`,
    content: unit,
    mode: '0644',
    owner: 'root',
  })
  // systemd reads a changed unit file only after a reload; a unit it never loaded needs none.
  actions.push({
    type: 'exec',
    script: 'systemctl daemon-reload',
    onlyIf: `systemctl show -p NeedDaemonReload --value ${name}.service | grep -qx yes`,
  })
  // With notify and no state, the service is kept running and restarted only when its unit or netrc changed.
  actions.push({ type: 'service', name, enabled: true, notify })
  return actions
}

export default {
  name: 'hail',
  phases: { configure },
}
