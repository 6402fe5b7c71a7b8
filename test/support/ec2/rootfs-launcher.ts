import { startRootfsNodes } from '../nodes.js'
import { type Ec2Endpoint, type Ec2EndpointOptions, startEc2Endpoint } from './endpoint.js'
import type { InstanceLauncher, LaunchRequest } from './launcher.js'

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`

/** What cloud-init does for the first login: the image's default user, its key and passwordless sudo. */
function cloudInitScript(request: LaunchRequest): string {
  const user = quote(request.user)
  const lines = [
    'set -e',
    // sshd of cloud images runs with PAM, where a locked password ("!") still allows key logins.
    `printf 'UsePAM yes\\n' > /etc/ssh/sshd_config.d/00-cloud-image.conf`,
    `id -u ${user} >/dev/null 2>&1 || useradd -m -s /bin/bash ${user}`,
    `home=$(getent passwd ${user} | cut -d: -f6)`,
    `install -d -m 700 -o ${user} -g ${user} "$home/.ssh"`,
    `printf '%s\\n' ${quote(request.publicKey ?? '')} > "$home/.ssh/authorized_keys"`,
    `chown ${user}:${user} "$home/.ssh/authorized_keys"`,
    `chmod 600 "$home/.ssh/authorized_keys"`,
    `printf '%s\\n' ${quote(`${request.user} ALL=(ALL) NOPASSWD:ALL`)} > /etc/sudoers.d/90-cloud-init-users`,
    'chmod 440 /etc/sudoers.d/90-cloud-init-users',
  ]
  return `${lines.join('\n')}\n`
}

/**
 * Instances as rootfs nodes of the test harness, one at a time: each its own root filesystem, so what
 * bootstrap does there (useradd, sudoers) never touches this machine.
 */
export function rootfsLauncher(): InstanceLauncher {
  return {
    async launch(request) {
      const lab = await startRootfsNodes(undefined, { count: 1, prefix: request.instanceId })
      const node = lab.nodes[0]!
      try {
        const result = await node.exec(cloudInitScript(request))
        if (result.code !== 0)
          throw new Error(`cloud-init on ${request.instanceId} failed: ${result.stderr.trim()}`)
        // sshd reads its configuration at start: restart it as the image's boot would have started it.
        await node.restart()
      } catch (error) {
        await lab.stop()
        throw error
      }
      return {
        address: node.address,
        port: node.port,
        hostKeys: [node.hostPublicKey],
        exec: (script) => node.exec(script),
        stop: () => lab.stop(),
      }
    },
  }
}

/** The local EC2 endpoint whose instances are rootfs nodes. */
export function startRootfsEc2Endpoint(
  options: Omit<Ec2EndpointOptions, 'launcher'> = {},
): Promise<Ec2Endpoint> {
  return startEc2Endpoint({ ...options, launcher: rootfsLauncher() })
}
