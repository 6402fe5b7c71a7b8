// The watcher's systemd unit, written the same way `forklift hail unit` writes it from
// templates/hail/forklift-hail.service (a test holds the two to the same text). The crate runs in a
// pod that reads only its own folder, so it carries its own copy of the few lines involved.

const UNITS = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }

/** Milliseconds of a duration like 30s, 5m, 1h; bare numbers in `bareUnit`. */
export function durationMs(text, key, bareUnit) {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|min|h)?\s*$/.exec(String(text))
  if (!match)
    throw new Error(`crate "hail": settings.${key} "${text}": expected a duration like 30s, 5m or 1h`)
  return Math.round(Number(match[1]) * UNITS[match[2] ?? bareUnit])
}

/** Flag defaults of `forklift hail`: values equal to them are left out of the unit. */
const DEFAULTS = {
  source: 'hydra',
  'poll-period': '5',
  'health-check-timeout': '2m',
  'activate-timeout': '5m',
  'http-timeout': '30s',
  'fetch-timeout': '30m',
  'max-backoff': '1h',
}

/** The flag order of an ExecStart line. */
const ORDER = [
  'profile',
  'source',
  'job-uri',
  'url',
  'profiles-dir',
  'state-dir',
  'netrc-file',
  'poll-period',
  'require-eval-success',
  'dry-run',
  'health-check',
  'health-check-timeout',
  'activate-timeout',
  'on-change',
  'on-failure',
  'nix-option',
  'allow-self-signed',
  'http-timeout',
  'fetch-timeout',
  'max-backoff',
]

/** `hail` and its flags for these flag values (defaults left out). */
export function watcherArgs(flags) {
  const args = ['hail']
  for (const key of ORDER) {
    const value = flags[key]
    if (value === undefined || value === false || value === DEFAULTS[key]) continue
    if (value === true) args.push(`--${key}`)
    else if (Array.isArray(value)) for (const item of value) args.push(`--${key}`, item)
    else args.push(`--${key}`, String(value))
  }
  if (flags.json) args.push('--json')
  return args
}

/** One ExecStart argument, quoted for systemd (which expands % and $ itself). */
export function systemdQuote(arg) {
  const escaped = arg.replaceAll('%', '%%').replaceAll('$', '$$$$')
  if (escaped !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped
  return `"${escaped.replace(/[\\"]/g, '\\$&').replaceAll('\n', '\\n')}"`
}

/** The unit file text. */
export function renderUnit({ name, profile, description, argv, stopTimeoutSec, user }) {
  return [
    `# Written by \`forklift hail unit\`: the hail watcher for profile ${profile}`,
    '[Unit]',
    `Description=${description}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${argv.map(systemdQuote).join(' ')}`,
    `# SIGHUP makes the watcher poll at once: \`systemctl reload ${name}.service\`.`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=10s',
    '# Status 2 is a usage error (a bad flag, or another watcher holds the profile): a restart cannot help.',
    'RestartPreventExitStatus=2',
    '# Only the watcher gets SIGTERM, so a switch and activation in progress finish before it exits.',
    'KillMode=mixed',
    `TimeoutStopSec=${stopTimeoutSec}`,
    ...(user ? [`User=${user}`] : []),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n')
}
