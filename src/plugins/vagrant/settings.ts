import { z } from 'zod'
import { parseRange } from './addresses.js'
import { isRubyAttribute } from './ruby.js'

const range = z.string().refine((value) => parseRange(value) !== undefined, {
  message: 'expected an IPv4 range like 192.168.56.0/24',
})

/** A host port range `FIRST-LAST`. */
export function parsePortRange(value: string): { first: number; last: number } | undefined {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(value)
  if (!match) return undefined
  const first = Number(match[1])
  const last = Number(match[2])
  return first >= 1 && first <= last && last <= 65535 ? { first, last } : undefined
}

/** Vagrant providers that Vagrant itself brings up several at a time (`vagrant up` runs the others one by one). */
export const PARALLEL_PROVIDERS = ['docker', 'libvirt']

const seconds = (what: string, fallback: number) =>
  z.number().positive().default(fallback).describe(`${what} (seconds; default ${fallback}).`)

const scalar = z.union([z.string(), z.number(), z.boolean()])

const dockerSettings = z
  .object({
    image: z.string().min(1).describe('Container image every machine runs (d.image).'),
    'has-ssh': z
      .boolean()
      .default(true)
      .describe('The container runs sshd; Vagrant waits for SSH (d.has_ssh).'),
    'create-args': z
      .array(z.string())
      .default([])
      .describe('Extra arguments for `docker create`, e.g. ["--network=slirp4netns"] (d.create_args).'),
    ports: z
      .array(z.string())
      .default([])
      .describe('Extra port publications, as `docker -p` takes them (d.ports).'),
    env: z.record(z.string(), z.string()).optional().describe('Environment of the container (d.env).'),
    cmd: z
      .array(z.string())
      .optional()
      .describe('Command of the container, instead of the image default (d.cmd).'),
    privileged: z.boolean().optional().describe('Run the container privileged (d.privileged).'),
    'ssh-address': range
      .default('127.0.50.0/24')
      .describe(
        'Loopback range: each machine publishes its SSH port and inbound ports on its own address from it.',
      ),
    'ssh-port': z.number().int().min(1).max(65535).default(2222).describe('Host port of each machine’s SSH.'),
  })
  .strict()

/** Settings of a vagrant provider instance in forklift.yaml. */
export const settingsSchema = z
  .object({
    provider: z
      .string()
      .regex(/^[a-z][a-z0-9_-]*$/, 'expected a Vagrant provider name such as virtualbox, libvirt or docker')
      .default('virtualbox')
      .describe(
        'Vagrant provider that backs the machines (virtualbox, libvirt, docker, hyperv, parallels …).',
      ),
    parallel: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        `How many machines are brought up or destroyed at once: more than 1 only for providers Vagrant runs in parallel (${PARALLEL_PROVIDERS.join(', ')}; default 2 for them, 1 for the others).`,
      ),
    'box-version': z
      .string()
      .min(1)
      .optional()
      .describe('Version constraint of the box (config.vm.box_version), e.g. ">= 12.20240101, < 13".'),
    'box-architecture': z
      .string()
      .regex(/^[a-z0-9_]+$/, 'expected an architecture like amd64 or arm64')
      .optional()
      .describe('Architecture of the box (config.vm.box_architecture, Vagrant 2.4 or later), e.g. arm64.'),
    'host-ports': z
      .string()
      .refine((value) => parsePortRange(value) !== undefined, {
        message: 'expected a host port range like 20000-20999',
      })
      .refine((value) => (parsePortRange(value)?.first ?? 1024) >= 1024, {
        message:
          'host ports below 1024 need root on the host (libvirt asks for sudo, VirtualBox cannot bind them): use a range from 1024 up',
      })
      .default('20000-29999')
      .describe(
        'Host ports forwarded to inbound ports of VM machines come from this range, each machine its own (not for docker).',
      ),
    timeouts: z
      .object({
        command: seconds('Longest a status, ssh-config or box list call may take', 120),
        up: seconds('Longest `vagrant up` (and `box add`) of one machine may take', 1800),
        destroy: seconds('Longest `vagrant destroy` of one machine may take', 600),
        grace: seconds('How long Vagrant may clean up after an interrupt before it is killed', 60),
      })
      .strict()
      .prefault({})
      .describe('Time limits of vagrant calls: one that runs longer is stopped like an interrupted one.'),
    hyperv: z
      .object({
        switch: z
          .string()
          .min(1)
          .default('Default Switch')
          .describe('Hyper-V virtual switch the machines are attached to (Vagrant would ask otherwise).'),
      })
      .strict()
      .prefault({})
      .describe('The hyperv provider: which virtual switch.'),
    vagrant: z
      .string()
      .min(1)
      .default('vagrant')
      .describe('The vagrant executable (name on PATH or a path).'),
    'private-network': z
      .union([range, z.literal(false)])
      .optional()
      .describe(
        'Range for each machine’s private network address; default 192.168.56.0/24, none for docker; false for none.',
      ),
    'forward-ports': z
      .boolean()
      .default(true)
      .describe("Forward each of the group's inbound ports from the host (same port number)."),
    ssh: z
      .object({
        username: z
          .string()
          .min(1)
          .optional()
          .describe('Login Vagrant and Forklift use first (config.ssh.username).'),
        'private-key-path': z
          .string()
          .min(1)
          .optional()
          .describe('Key for that login, relative to the project.'),
        'insert-key': z
          .boolean()
          .optional()
          .describe('Let Vagrant replace the insecure key (config.ssh.insert_key).'),
      })
      .strict()
      .optional()
      .describe('How Vagrant logs in to a new machine (before bootstrap creates the admin login).'),
    'provider-options': z
      .record(z.string(), z.union([scalar, z.array(scalar)]))
      .optional()
      .describe(
        'More settings of the Vagrant provider block, written as `p.KEY = VALUE` (e.g. linked_clone: true).',
      ),
    docker: dockerSettings.optional().describe('The docker provider: required when provider is docker.'),
  })
  .strict()
  .superRefine((settings, ctx) => {
    for (const key of Object.keys(settings['provider-options'] ?? {})) {
      if (isRubyAttribute(key)) continue
      ctx.addIssue({
        code: 'custom',
        path: ['provider-options', key],
        message: 'expected a provider option name like linked_clone (lower case, digits, underscores)',
      })
    }
    if (settings.provider === 'docker' && !settings.docker) {
      ctx.addIssue({ code: 'custom', path: ['docker'], message: 'provider docker needs docker.image' })
    }
    if ((settings.parallel ?? 1) > 1 && !PARALLEL_PROVIDERS.includes(settings.provider)) {
      ctx.addIssue({
        code: 'custom',
        path: ['parallel'],
        message: `Vagrant brings ${settings.provider} machines up one at a time (only ${PARALLEL_PROVIDERS.join(' and ')} in parallel): parallel must be 1`,
      })
    }
    if (settings.provider === 'hyperv' && settings['private-network']) {
      ctx.addIssue({
        code: 'custom',
        path: ['private-network'],
        message: 'the hyperv provider cannot set a private network address: it attaches to hyperv.switch',
      })
    }
    if (settings.provider === 'docker' && settings['private-network']) {
      ctx.addIssue({
        code: 'custom',
        path: ['private-network'],
        message:
          'the docker provider gets no private network: it would create a container network on the host',
      })
    }
  })

export type VagrantSettings = z.infer<typeof settingsSchema>

/** How many machines of these settings are brought up or destroyed at once. */
export function parallelism(settings: VagrantSettings): number {
  return settings.parallel ?? (PARALLEL_PROVIDERS.includes(settings.provider) ? 2 : 1)
}
export type DockerSettings = z.infer<typeof dockerSettings>
