// The phase script's stdout, line by line:
//   @@FL:<nonce> start <dry>          the prelude ran (dry: 1 in a dry run)
//   @@FL:<nonce> begin <i>            action i starts
//   |<text> / !<text>                 action i's stdout / stderr (tails), emitted after it ran
//   @@FL:<nonce> data <name>          followed by `od -tx1` lines: file content for a diff
//   @@FL:<nonce> end <i> <status> <exit> <reason|-> <words…>   (status: ok, changed, failed, after)
//   @@FL:<nonce> done
// Everything an action prints is captured to files and re-emitted with a prefix, so no output can
// pass for a marker, whatever it contains.

/** The marker every protocol line starts with. */
export function markerOf(nonce: string): string {
  return `@@FL:${nonce}`
}

/** What the node reported for one action. */
export interface ActionReport {
  index: number
  ended: boolean
  /** `after`: a dry run's failed check that follows a would-change action (see ActionStatus). */
  status?: 'ok' | 'changed' | 'failed' | 'after'
  exit: number
  reason?: string
  words: string[]
  stdout: string[]
  stderr: string[]
  data: Map<string, Uint8Array>
}

/** Everything the script's stdout said. */
export interface ScriptReport {
  started: boolean
  dryRun: boolean
  done: boolean
  actions: Map<number, ActionReport>
}

const STATUSES = new Set(['ok', 'changed', 'failed', 'after'])

/** Read the script's stdout; unknown or malformed lines are ignored, a missing end means the node stopped. */
export function readScriptOutput(stdout: string, nonce: string): ScriptReport {
  const marker = `${markerOf(nonce)} `
  const report: ScriptReport = { started: false, dryRun: false, done: false, actions: new Map() }
  const sections: { report: ActionReport; name: string; lines: string[] }[] = []
  let current: ActionReport | undefined
  let hex: string[] | undefined
  for (const line of stdout.split('\n')) {
    if (line.startsWith(marker)) {
      hex = undefined
      const [word, ...rest] = line.slice(marker.length).split(' ')
      if (word === 'start') {
        report.started = true
        report.dryRun = rest[0] === '1'
      } else if (word === 'begin') {
        const index = Number(rest[0])
        current = { index, ended: false, exit: 0, words: [], stdout: [], stderr: [], data: new Map() }
        report.actions.set(index, current)
      } else if (word === 'data' && current && !current.ended && rest[0]) {
        hex = []
        sections.push({ report: current, name: rest[0], lines: hex })
      } else if (
        word === 'end' &&
        current &&
        Number(rest[0]) === current.index &&
        STATUSES.has(rest[1] ?? '')
      ) {
        current.ended = true
        current.status = rest[1] as ActionReport['status']
        current.exit = Number(rest[2]) || 0
        current.reason = rest[3] && rest[3] !== '-' ? rest[3] : undefined
        current.words = rest.slice(4).filter(Boolean)
      } else if (word === 'done') {
        report.done = true
      }
      continue
    }
    if (!current || current.ended) continue
    if (hex) hex.push(line)
    else if (line.startsWith('|')) current.stdout.push(line.slice(1))
    else if (line.startsWith('!')) current.stderr.push(line.slice(1))
  }
  for (const section of sections) section.report.data.set(section.name, fromHex(section.lines))
  return report
}

function fromHex(lines: string[]): Uint8Array {
  const pairs = lines.join(' ').match(/[0-9a-f]{2}/g) ?? []
  return Uint8Array.from(pairs, (pair) => Number.parseInt(pair, 16))
}

/**
 * Times each action by when its `begin` and `end` marker lines arrive on the streamed stdout, so the
 * script needs no clock of its own (POSIX sh has none finer than a second) and no extra round trip.
 * The delay on the way cancels out: both lines travel the same path.
 */
export function actionClock(nonce: string, now: () => number = () => performance.now()) {
  const begin = `${markerOf(nonce)} begin `
  const end = `${markerOf(nonce)} end `
  const began = new Map<number, number>()
  const ended = new Map<number, number>()
  let partial = ''
  return {
    /** Feed a stdout chunk as it arrives. */
    push(chunk: string): void {
      const at = now()
      const lines = (partial + chunk).split('\n')
      // Only a line's start matters (markers are short): a long unfinished line need not pile up.
      partial = (lines.pop() ?? '').slice(0, 200)
      for (const line of lines) {
        if (line.startsWith(begin)) began.set(Number(line.slice(begin.length)), at)
        else if (line.startsWith(end)) ended.set(Number(line.slice(end.length).split(' ')[0]), at)
      }
    },
    /** Whole milliseconds per action that began; one that never ended counts until now. */
    durations(): Map<number, number> {
      const until = now()
      const out = new Map<number, number>()
      for (const [index, start] of began) out.set(index, Math.round((ended.get(index) ?? until) - start))
      return out
    },
  }
}
