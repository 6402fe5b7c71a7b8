/** One line of `vagrant --machine-readable` output: `TIMESTAMP,TARGET,TYPE,DATA…`. */
export interface MachineRecord {
  timestamp: number
  /** Machine name, empty for lines about the whole run. */
  target: string
  type: string
  data: string[]
}

/** What `vagrant status` says of one machine. */
export interface MachineStatus {
  name: string
  /** Vagrant's state id: running, not_created, poweroff, stopped, host_state_unknown … */
  state?: string
  provider?: string
  /** One-line human text of the state. */
  description?: string
}

/** The `error-exit` record: the error class and its message. */
export interface ErrorExit {
  kind: string
  message: string
}

const RECORD = /^(\d+),([^,]*),([^,]+)(?:,(.*))?$/

/**
 * Undo Vagrant's escaping of one data field: commas become `%!(VAGRANT_COMMA)`, newlines and
 * carriage returns `\n` and `\r`. Vagrant does not escape backslashes, so a literal `\n` in the
 * original text cannot be told apart; it comes back as a newline.
 */
export function unescapeField(field: string): string {
  return field.replaceAll('%!(VAGRANT_COMMA)', ',').replaceAll('\\n', '\n').replaceAll('\\r', '\r')
}

/** Parse machine-readable output; lines of any other shape (plugin warnings, say) are skipped. */
export function parseMachineReadable(text: string): MachineRecord[] {
  const records: MachineRecord[] = []
  for (const line of text.split('\n')) {
    const match = RECORD.exec(line.replace(/\r$/, ''))
    if (!match) continue
    records.push({
      timestamp: Number(match[1]),
      target: match[2]!,
      type: match[3]!,
      data: match[4] === undefined ? [] : match[4].split(',').map(unescapeField),
    })
  }
  return records
}

/** The machines `vagrant status --machine-readable` reported, by name. */
export function machineStatuses(records: MachineRecord[]): Map<string, MachineStatus> {
  const statuses = new Map<string, MachineStatus>()
  for (const record of records) {
    if (!record.target) continue
    const status = statuses.get(record.target) ?? { name: record.target }
    const value = record.data[0]
    if (record.type === 'state') status.state = value
    else if (record.type === 'provider-name') status.provider = value
    else if (record.type === 'metadata' && value === 'provider') status.provider ??= record.data[1]
    else if (record.type === 'state-human-long') status.description = value?.replace(/\s+/g, ' ').trim()
    else continue
    statuses.set(record.target, status)
  }
  return statuses
}

/** The run's `error-exit` record, if Vagrant ended with an error. */
export function errorExit(records: MachineRecord[]): ErrorExit | undefined {
  const record = records.findLast((r) => r.type === 'error-exit')
  if (!record) return undefined
  return { kind: record.data[0] ?? '', message: record.data.slice(1).join(',') }
}

/** Human output lines (`ui` records) of a run, for progress reporting. */
export function uiText(record: MachineRecord): string | undefined {
  if (record.type !== 'ui') return undefined
  return record.data.slice(1).join(',')
}

/** A box `vagrant box list --machine-readable` reported. */
export interface BoxEntry {
  name: string
  provider?: string
  version?: string
}

/** The boxes of `vagrant box list` records (`box-name`, then its `box-provider` and `box-version`). */
export function boxList(records: MachineRecord[]): BoxEntry[] {
  const boxes: BoxEntry[] = []
  for (const record of records) {
    const value = record.data[0]
    if (value === undefined) continue
    if (record.type === 'box-name') boxes.push({ name: value })
    else if (record.type === 'box-provider' && boxes.length > 0) boxes[boxes.length - 1]!.provider = value
    else if (record.type === 'box-version' && boxes.length > 0) boxes[boxes.length - 1]!.version = value
  }
  return boxes
}
