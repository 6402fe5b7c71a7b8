import { z } from 'zod'
import { closest } from '../text/closest.js'
import { expecting } from '../text/schema-issues.js'
import { describeValue } from '../text/values.js'
import { type PortableRegex, parseRegex, RegexError } from './regex.js'

// The one definition of what an action may be: forklift.yaml is checked against it when it is
// loaded, `forklift schema` prints it, the Action types come from it, and every action a crate
// returns is checked against it before anything is compiled. Field names are camelCase, so an
// action reads the same in forklift.yaml and in a crate's code.

// Every string that reaches the node's shell as a word refuses NUL here; shq() refuses it again.
const NUL_FREE = /^[^\0]*$/
const NUL = 'contains a NUL byte, which no shell word can carry'
const ONE_LINE = /^[^\r\n]*$/

/** A string (empty allowed) a shell can carry. */
const str = () => z.string().regex(NUL_FREE, NUL)
/** A non-empty string a shell can carry. */
const text = () => str().min(1)
/** One line: no line break. */
const line = () => str().regex(ONE_LINE, expecting('a single line'))
/** A string that must match `pattern` (which itself excludes NUL); `phrase` says what is expected. */
const matching = (pattern: RegExp, phrase: string) =>
  z.string(expecting(phrase)).regex(pattern, expecting(phrase))

const absolute = () =>
  z
    .string(expecting('an absolute path'))
    .regex(/^\//, expecting('an absolute path'))
    .regex(NUL_FREE, NUL)
    .describe('Absolute path on the node')
const presence = z.enum(['present', 'absent'])
const mode = matching(/^[0-7]{3,4}$/, 'a file mode as a quoted string such as "0644"').describe(
  'Octal permission bits, quoted: "0644"',
)
/** A user or group as chown takes it: a name or a numeric id. */
const owner = matching(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, 'a user or group name, or a numeric id')
/** Login and group names as useradd and groupadd accept them. */
const account = (what: string) =>
  matching(
    /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/,
    `${what} (up to 32 letters, digits, _ . -, starting with a letter or _)`,
  )
/** A login name: the `user` action's, and a group's admin login. */
export const login = account('a login name')
const groupName = account('a group name')
/** Package names as apt, dnf/yum and apk take them (`name`, `name=version`, `name:arch`); no globs or spaces. */
const packageName = matching(
  /^[A-Za-z0-9][A-Za-z0-9+._:~=-]*$/,
  'a package name (letters, digits and + . _ : ~ = -, starting with a letter or digit)',
)
const serviceName = matching(
  /^[A-Za-z0-9_@][A-Za-z0-9_.@:-]*$/,
  'a service name (letters, digits and _ . @ : -, not starting with . or -)',
)
/** A name that becomes part of a file name (package sources). */
const fileName = matching(
  /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/,
  'a name of letters, digits and _ . - (not starting with . or -)',
)
const envName = matching(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  'an environment variable name (letters, digits and _, not starting with a digit)',
)
/** One word of an apt sources line or a .repo value: no spaces, no `]`. */
const word = () => matching(/^[^\s\]\0]+$/, 'one word (no spaces or ])')
const ARMORED = '-----BEGIN PGP PUBLIC KEY BLOCK-----'

const base = {
  id: matching(/^[^\s\0]+$/, 'a word without spaces')
    .optional()
    .describe('Name later actions of the phase refer to (service `notify`)'),
}
const ownership = {
  mode: mode.optional(),
  owner: owner.optional(),
  group: owner.optional(),
}

/** File content: a string in forklift.yaml; a crate may return bytes as well. */
type Content = z.ZodType<string> | z.ZodType<string | Uint8Array>

const exec = z
  .object({
    ...base,
    type: z.literal('exec'),
    script: text().describe('POSIX sh script, run by `sh` in its own process'),
    creates: text().optional().describe('Skip when this path exists (relative to `cwd`)'),
    unless: text().optional().describe('Skip when this command succeeds'),
    onlyIf: text().optional().describe('Run only when this command succeeds'),
    env: z
      .record(envName, str(), {
        error: (issue) => {
          if (issue.code === 'invalid_key')
            return `bad variable name ${describeValue(issue.input)}: use letters, digits and _, not starting with a digit`
          if (issue.code === 'invalid_type')
            return `expected a map of names to strings, got ${describeValue(issue.input)}`
          return undefined
        },
      })
      .optional()
      .describe('Environment variables exported to the script'),
    cwd: absolute().optional(),
  })
  .strict()

const file = <C extends Content>(content: C) =>
  z
    .object({
      ...base,
      type: z.literal('file'),
      path: absolute(),
      state: presence.optional(),
      content: content
        .optional()
        .describe('Written atomically; without it an empty file is created and content never touched'),
      ...ownership,
    })
    .strict()
    .superRefine((a, ctx) => {
      if (a.state === 'absent' && a.content !== undefined)
        ctx.addIssue({ code: 'custom', path: ['content'], message: 'cannot be given with state absent' })
    })

const directory = z
  .object({
    ...base,
    type: z.literal('directory'),
    path: absolute(),
    state: presence.optional(),
    ...ownership,
    recursive: z.boolean().optional().describe('Apply owner, group and mode below it as well'),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.state === 'absent' && /^\/+$/.test(a.path))
      ctx.addIssue({
        code: 'custom',
        path: ['path'],
        message: 'is the root directory, which is never removed',
      })
  })

const symlink = z
  .object({
    ...base,
    type: z.literal('symlink'),
    path: absolute(),
    target: text().optional(),
    state: presence.optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.state !== 'absent' && a.target === undefined)
      ctx.addIssue({ code: 'custom', message: 'a symlink that is present needs a `target`' })
  })

const SOURCES = ['content', 'template', 'localFile', 'url'] as const

const remoteFile = <C extends Content>(content: C) =>
  z
    .object({
      ...base,
      type: z.literal('remote-file'),
      path: absolute(),
      state: presence.optional(),
      content: content.optional(),
      template: z.string().optional().describe('Mustache template rendered with settings, env and node'),
      localFile: text().optional().describe('A file of the project, uploaded (relative to forklift.yaml)'),
      url: matching(/^(https?|ftp):\/\/[^\s\0]+$/, 'an http, https or ftp URL')
        .optional()
        .describe('Fetched on the node and checked against `sha256`'),
      sha256: matching(/^[0-9a-fA-F]{64}$/, '64 hex digits').optional(),
      ...ownership,
      backup: z
        .boolean()
        .optional()
        .describe('Keep the previous version as PATH.forklift-backup (default true)'),
    })
    .strict()
    .superRefine((a, ctx) => {
      if (a.state === 'absent') return
      const given = SOURCES.filter((k) => a[k] !== undefined)
      if (given.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message: `a remote-file needs exactly one of \`content\`, \`template\`, \`localFile\`, \`url\`, got ${given.length ? given.map((s) => `\`${s}\``).join(' and ') : 'none'}`,
        })
      }
      if (a.url !== undefined && a.sha256 === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['sha256'],
          message: 'a remote-file with `url` needs its `sha256`',
        })
      }
    })

/** A line action; `line` may be left out only when absent with `match` (jsonSchema says so too). */
export const lineAction = z
  .object({
    ...base,
    type: z.literal('line'),
    path: absolute(),
    line: line().optional().describe('The line; not needed with state absent and `match`'),
    match: line()
      .min(1)
      .optional()
      .describe(
        'Portable extended regex (POSIX ERE, C locale); the first matching line is replaced (every one removed when absent)',
      ),
    state: presence.optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.line === undefined && (a.state !== 'absent' || a.match === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `missing required key \`line\` (expected a string${a.state === 'absent' ? '; with state absent, `match` may stand for it' : ''})`,
      })
    if (a.match === undefined) return
    let regex: PortableRegex
    try {
      regex = parseRegex(a.match)
    } catch (error) {
      if (!(error instanceof RegexError)) throw error
      ctx.addIssue({
        code: 'custom',
        path: ['match'],
        message: `not a portable extended regex: ${error.message}`,
      })
      return
    }
    // A line its own match does not select would replace the next matching line on every run.
    if (
      a.state !== 'absent' &&
      a.line !== undefined &&
      !regex.bytes.test(Buffer.from(a.line, 'utf8').toString('latin1'))
    )
      ctx.addIssue({
        code: 'custom',
        path: ['match'],
        message: '`line` must match `match`, else every run replaces one more matching line',
      })
  })

const pkg = z
  .object({
    ...base,
    type: z.literal('package'),
    name: z.union([packageName, z.array(packageName).min(1)], expecting('a package name or a list of names')),
    state: z.enum(['present', 'absent', 'latest']).optional(),
  })
  .strict()

const packageSource = z
  .object({
    ...base,
    type: z.literal('package-source'),
    name: fileName,
    state: presence.optional(),
    apt: z
      .object({
        uri: word(),
        suite: word().describe('A suite, or a path ending in / for a flat repository'),
        components: z.array(word()).min(1).optional().describe('Default: [main]'),
        key: str()
          .regex(
            /^\s*-----BEGIN PGP PUBLIC KEY BLOCK-----/,
            expecting(`an ASCII-armored public key (${ARMORED} …)`),
          )
          .optional()
          .describe("The repository's ASCII-armored public key"),
        arch: matching(/^[a-z0-9,-]+$/, 'architectures such as amd64 or amd64,arm64').optional(),
        trusted: z.boolean().optional().describe('Trust an unsigned repository'),
      })
      .strict()
      .optional(),
    yum: z.object({ baseurl: word(), gpgkey: word().optional() }).strict().optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.state !== 'absent' && a.apt === undefined && a.yum === undefined)
      ctx.addIssue({ code: 'custom', message: 'a package-source needs an `apt` or a `yum` source (or both)' })
  })

const packageUpdate = z.object({ ...base, type: z.literal('package-update') }).strict()

/** A home or shell: an absolute path passwd can hold (no `:`). */
const passwdPath = () => absolute().regex(/^[^:]*$/, expecting('a path without ":"'))

/** One line of authorized_keys (surrounding white space is trimmed). */
export const authorizedKey = text().regex(/^\s*[^\r\n]*\s*$/, expecting('one key on one line'))

const user = z
  .object({
    ...base,
    type: z.literal('user'),
    name: login,
    state: presence.optional(),
    home: passwdPath().optional(),
    shell: passwdPath().optional(),
    groups: z.array(groupName).optional().describe('The exact set of supplementary groups'),
    system: z.boolean().optional(),
    authorizedKeys: z
      .array(authorizedKey)
      .optional()
      .describe('The exact set of keys in ~/.ssh/authorized_keys'),
    sudo: z.boolean().optional().describe('Passwordless sudo for this login'),
  })
  .strict()

const group = z
  .object({
    ...base,
    type: z.literal('group'),
    name: groupName,
    state: presence.optional(),
    gid: z.int(expecting('a whole number ≥ 0')).min(0, expecting('a whole number ≥ 0')).optional(),
    system: z.boolean().optional(),
  })
  .strict()

const service = z
  .object({
    ...base,
    type: z.literal('service'),
    name: serviceName,
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional(),
    enabled: z.boolean().optional(),
    notify: z
      .array(text())
      .min(1)
      .optional()
      .describe('Restart (or reload) only when one of these earlier action ids changed'),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.notify && a.state && a.state !== 'restarted' && a.state !== 'reloaded') {
      ctx.addIssue({
        code: 'custom',
        path: ['notify'],
        message: `needs state restarted or reloaded (or none), not ${a.state}`,
      })
    }
  })

const variants = <C extends Content>(content: C) =>
  [
    exec,
    file(content),
    directory,
    symlink,
    remoteFile(content),
    lineAction,
    pkg,
    packageSource,
    packageUpdate,
    user,
    group,
    service,
  ] as const

/** Every action type name, sorted. */
export const actionTypes: string[] = variants(z.string())
  .map((v) => v.shape.type.value)
  .sort()

const union = <C extends Content>(content: C) =>
  z.discriminatedUnion('type', variants(content), {
    error: (issue) => {
      if (issue.code !== 'invalid_union' || !issue.discriminator) return undefined
      const found = (issue.input as Record<string, unknown> | undefined)?.type
      const match = typeof found === 'string' ? closest(found, actionTypes) : undefined
      const hint = match ? ` (did you mean "${match}"?)` : ''
      return `unknown action type ${describeValue(found)}${hint}; types: ${actionTypes.join(', ')}`
    },
  })

/** One action as forklift.yaml writes it (and `forklift schema` shows it); unknown keys are errors. */
export const actionSchema = union(z.string())

/** One action as a crate may return it: the same, except that file content may also be bytes. */
export const crateActionSchema = union(
  z.union([z.string(), z.instanceof(Uint8Array)], expecting('a string or bytes (a Uint8Array)')),
)
