import { z } from 'zod'
import type { Action } from '../actions/types.js'
import { closest, describeValue, expecting } from './issues.js'

// Field names follow the Action types exactly (camelCase), so an action reads the same in
// forklift.yaml and in a crate's code.

const text = z.string().min(1)
const absolute = z
  .string(expecting('an absolute path'))
  .regex(/^\//, expecting('an absolute path'))
  .describe('Absolute path on the node')
const presence = z.enum(['present', 'absent'])
const mode = z
  .string(expecting('a file mode as a quoted string such as "0644"'))
  .regex(/^[0-7]{3,4}$/, expecting('a file mode as a quoted string such as "0644"'))
  .describe('Octal permission bits, quoted: "0644"')
const base = { id: text.optional().describe('Name other actions refer to (service `notify`)') }
const ownership = {
  mode: mode.optional(),
  owner: text.optional(),
  group: text.optional(),
}

const exec = z
  .object({
    ...base,
    type: z.literal('exec'),
    script: text.describe('POSIX sh script'),
    creates: text.optional().describe('Skip when this path exists'),
    unless: text.optional().describe('Skip when this command succeeds'),
    onlyIf: text.optional().describe('Run only when this command succeeds'),
    env: z.record(z.string(), z.string()).optional(),
    cwd: absolute.optional(),
  })
  .strict()

const file = z
  .object({
    ...base,
    type: z.literal('file'),
    path: absolute,
    state: presence.optional(),
    content: z.string().optional(),
    ...ownership,
  })
  .strict()

const directory = z
  .object({
    ...base,
    type: z.literal('directory'),
    path: absolute,
    state: presence.optional(),
    ...ownership,
    recursive: z.boolean().optional(),
  })
  .strict()

const symlink = z
  .object({
    ...base,
    type: z.literal('symlink'),
    path: absolute,
    target: text.optional(),
    state: presence.optional(),
  })
  .strict()
  .refine((a) => a.state === 'absent' || a.target !== undefined, {
    message: 'a symlink that is present needs a `target`',
  })

const remoteFile = z
  .object({
    ...base,
    type: z.literal('remote-file'),
    path: absolute,
    state: presence.optional(),
    content: z.string().optional(),
    template: z.string().optional().describe('Mustache template rendered with settings and environment'),
    localFile: text.optional(),
    url: z.url().optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, expecting('64 hex digits'))
      .optional(),
    ...ownership,
    backup: z.boolean().optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.state === 'absent') return
    const sources = (['content', 'template', 'localFile', 'url'] as const).filter((k) => a[k] !== undefined)
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a remote-file needs exactly one of \`content\`, \`template\`, \`localFile\`, \`url\`, got ${sources.length ? sources.map((s) => `\`${s}\``).join(' and ') : 'none'}`,
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

const line = z
  .object({
    ...base,
    type: z.literal('line'),
    path: absolute,
    line: z.string(),
    match: text.optional().describe('Extended regex; a matching line is replaced (or removed when absent)'),
    state: presence.optional(),
  })
  .strict()

const pkg = z
  .object({
    ...base,
    type: z.literal('package'),
    name: z.union([text, z.array(text).min(1)], expecting('a package name or a list of names')),
    state: z.enum(['present', 'absent', 'latest']).optional(),
  })
  .strict()

const packageSource = z
  .object({
    ...base,
    type: z.literal('package-source'),
    name: text,
    state: presence.optional(),
    apt: z
      .object({
        uri: text,
        suite: text,
        components: z.array(text).optional(),
        key: text.optional().describe("The repository's ASCII-armored public key"),
        arch: text.optional(),
        trusted: z.boolean().optional().describe('Trust an unsigned repository'),
      })
      .strict()
      .optional(),
    yum: z.object({ baseurl: text, gpgkey: text.optional() }).strict().optional(),
  })
  .strict()
  .refine((a) => a.apt !== undefined || a.yum !== undefined, {
    message: 'a package-source needs an `apt` or a `yum` source (or both)',
  })

const packageUpdate = z.object({ ...base, type: z.literal('package-update') }).strict()

const user = z
  .object({
    ...base,
    type: z.literal('user'),
    name: text,
    state: presence.optional(),
    home: absolute.optional(),
    shell: absolute.optional(),
    groups: z.array(text).optional(),
    system: z.boolean().optional(),
    authorizedKeys: z.array(text).optional(),
    sudo: z.boolean().optional().describe('Passwordless sudo for this login'),
  })
  .strict()

const group = z
  .object({
    ...base,
    type: z.literal('group'),
    name: text,
    state: presence.optional(),
    gid: z.int().min(0).optional(),
    system: z.boolean().optional(),
  })
  .strict()

const service = z
  .object({
    ...base,
    type: z.literal('service'),
    name: text,
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional(),
    enabled: z.boolean().optional(),
    notify: z.array(text).optional().describe('Restart only when one of these earlier action ids changed'),
  })
  .strict()

const variants = [
  exec,
  file,
  directory,
  symlink,
  remoteFile,
  line,
  pkg,
  packageSource,
  packageUpdate,
  user,
  group,
  service,
] as const

/** Every action type name, sorted. */
export const actionTypes: string[] = variants.map((v) => v.shape.type.value).sort()

/** One action as forklift.yaml (or a crate) writes it; unknown keys are errors. */
export const actionSchema = z.discriminatedUnion('type', variants, {
  error: (issue) => {
    if (issue.code !== 'invalid_union' || !issue.discriminator) return undefined
    const found = (issue.input as Record<string, unknown> | undefined)?.type
    const match = typeof found === 'string' ? closest(found, actionTypes) : undefined
    const hint = match ? ` (did you mean "${match}"?)` : ''
    return `unknown action type ${describeValue(found)}${hint}; types: ${actionTypes.join(', ')}`
  },
})

// The schema must describe nothing the Action type does not.
type Assignable<T extends Action> = T
export type ActionConfig = Assignable<z.output<typeof actionSchema>>
