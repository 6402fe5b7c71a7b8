// The phase script's stdout, line by line:
//   @@FL:<nonce> start <dry>          the prelude ran (dry: 1 in a dry run)
//   @@FL:<nonce> begin <i>            action i starts
//   |<text> / !<text>                 action i's stdout / stderr (tails), emitted after it ran
//   @@FL:<nonce> data <name>          followed by `od -tx1` lines: file content for a diff
//   @@FL:<nonce> edit <a | r ID | d ID…>  a `line` of a run: what it did to the file (line-batch.ts)
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
  /** A `line` action of a run: what it did to the file, by record id (line-batch.ts), as sent. */
  edit?: string
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

// The node's words come from a small vocabulary: one copy of each, not one per action (a phase
// may have 100,000). A node sending endless new words only fills the first few hundred.
const words = new Map<string, string>()
function known(word: string): string {
  const known = words.get(word)
  if (known !== undefined) return known
  if (words.size < 512) words.set(word, word)
  return word
}

// Most actions print nothing and send no data: they share these (never written to) until they do.
const NO_LINES: string[] = Object.freeze([]) as unknown as string[]
const NO_DATA: Map<string, Uint8Array> = new Map()

/** Read the script's stdout; unknown or malformed lines are ignored, a missing end means the node stopped. */
export function readScriptOutput(stdout: string, nonce: string): ScriptReport {
  const marker = `${markerOf(nonce)} `
  const report: ScriptReport = { started: false, dryRun: false, done: false, actions: new Map() }
  const sections: { report: ActionReport; name: string; lines: string[] }[] = []
  let current: ActionReport | undefined
  let hex: string[] | undefined
  // Line by line without splitting the whole output at once: a phase of 100,000 actions prints
  // a few hundred thousand lines.
  for (let at = 0; at <= stdout.length; ) {
    const newline = stdout.indexOf('\n', at)
    const stop = newline < 0 ? stdout.length : newline
    const line = stdout.slice(at, stop)
    at = stop + 1
    if (line.startsWith(marker)) {
      hex = undefined
      const [word, ...rest] = line.slice(marker.length).split(' ')
      if (word === 'start') {
        report.started = true
        report.dryRun = rest[0] === '1'
      } else if (word === 'begin') {
        const index = Number(rest[0])
        current = {
          index,
          ended: false,
          exit: 0,
          words: NO_LINES,
          stdout: NO_LINES,
          stderr: NO_LINES,
          data: NO_DATA,
        }
        report.actions.set(index, current)
      } else if (word === 'data' && current && !current.ended && rest[0]) {
        hex = []
        sections.push({ report: current, name: rest[0], lines: hex })
      } else if (word === 'edit' && current && !current.ended) {
        current.edit = line.slice(marker.length + 5)
      } else if (
        word === 'end' &&
        current &&
        Number(rest[0]) === current.index &&
        STATUSES.has(rest[1] ?? '')
      ) {
        current.ended = true
        current.status = known(rest[1]!) as ActionReport['status']
        current.exit = Number(rest[2]) || 0
        current.reason = rest[3] && rest[3] !== '-' ? known(rest[3]) : undefined
        if (rest.length > 4) current.words = rest.slice(4).filter(Boolean).map(known)
      } else if (word === 'done') {
        report.done = true
      }
      continue
    }
    if (!current || current.ended) continue
    if (hex) hex.push(line)
    else if (line.startsWith('|')) {
      if (current.stdout === NO_LINES) current.stdout = []
      current.stdout.push(line.slice(1))
    } else if (line.startsWith('!')) {
      if (current.stderr === NO_LINES) current.stderr = []
      current.stderr.push(line.slice(1))
    }
  }
  for (const section of sections) {
    if (section.report.data === NO_DATA) section.report.data = new Map()
    section.report.data.set(section.name, fromHex(section.lines))
  }
  return report
}

function fromHex(lines: string[]): Uint8Array {
  const out = new Uint8Array(lines.reduce((n, l) => n + (l.length >> 1), 0))
  let size = 0
  for (const line of lines)
    for (const pair of line.matchAll(/[0-9a-f]{2}/g)) out[size++] = Number.parseInt(pair[0], 16)
  return out.slice(0, size)
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
    /** How many actions have ended so far. */
    ended(): number {
      return ended.size
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
