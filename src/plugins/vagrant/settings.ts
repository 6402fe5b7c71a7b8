import { z } from 'zod'
import { parseRange } from './addresses.js'
import { isRubyAttribute } from './ruby.js'

const range = z.string().refine((value) => parseRange(value) !== undefined, {
  message: 'expected an IPv4 range like 192.168.56.0/24',
})

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
      .default(2)
      .describe('How many machines are brought up or destroyed at once.'),
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
export type DockerSettings = z.infer<typeof dockerSettings>
