import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { nodeCgroups } from '../../support/cgroups.js'
import {
  requireRootfs,
  requireSshd,
  startRootfsNodes,
  startSilentServer,
  startSshNodes,
  type TestNode,
} from '../../support/nodes.js'

// The test harness itself: nodes start on distinct addresses, stay apart, restart, and leave nothing behind.

/** Processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const found: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) found.push(Number(name))
    } catch {
      // Gone meanwhile.
    }
  }
  return found
}

test('plain sshd nodes', async (t) => {
  if (!requireSshd(t)) return
  const lab = await startSshNodes(t, { count: 3 })
  const addresses = lab.nodes.map((n) => n.address)
  assert.equal(new Set(addresses).size, 3)
  for (const address of addresses) assert.match(address, /^127\.0\.(\d+)\.(\d+)$/)
  const known = await readFile(lab.knownHosts, 'utf8')
  for (const node of lab.nodes) {
    assert.ok(known.includes(`[${node.address}]:2222 ${node.hostPublicKey}\n`))
    assert.match(node.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/)
    const result = await node.exec('id -un; echo "$SSH_CONNECTION"')
    assert.equal(result.stdout.split('\n')[0], 'root')
    assert.ok(result.stdout.includes(` ${node.address} 2222`))
  }
  const result = await lab.nodes[0]!.exec('echo err >&2; exit 3')
  assert.deepEqual(result, { stdout: '', stderr: 'err\n', code: 3 })

  await lab.nodes[1]!.kill()
  assert.equal(lab.nodes[1]!.running, false)
  await assert.rejects(lab.nodes[1]!.exec('true'), /ssh to node-2 .* failed/)
  await lab.nodes[1]!.restart()
  assert.equal((await lab.nodes[1]!.exec('echo back')).stdout, 'back\n')

  await lab.stop()
  assert.deepEqual(processesMentioning(lab.dir), [])
  assert.equal(existsSync(lab.dir), false)
  await lab.stop()
})

test('a silent server accepts and never speaks', async () => {
  const server = await startSilentServer()
  const { connect } = await import('node:net')
  const socket = connect({ host: server.address, port: server.port })
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const spoke = await Promise.race([
    new Promise((resolve) => socket.once('data', () => resolve(true))),
    new Promise((resolve) => setTimeout(() => resolve(false), 200)),
  ])
  assert.equal(spoke, false)
  socket.destroy()
  await server.close()
})

test('rootfs nodes are separate machines that keep their files across restarts', async (t) => {
  if (!requireRootfs(t)) return
  const lab = await startRootfsNodes(t, { count: 2 })
  const [a, b] = lab.nodes as [TestNode, TestNode]
  assert.equal((await a.exec('hostname')).stdout, 'node-1\n')
  assert.equal((await b.exec('hostname')).stdout, 'node-2\n')
  assert.equal((await a.exec('. /etc/os-release; echo $VERSION_CODENAME')).stdout, 'bookworm\n')
  // PID namespace of its own: sshd is PID 1.
  assert.match((await a.exec('cat /proc/1/cmdline | tr "\\0" " "')).stdout, /sshd/)

  await a.exec('echo mine > /etc/forklift-marker; mkdir -p /srv/x')
  assert.notEqual((await b.exec('cat /etc/forklift-marker')).code, 0)
  assert.equal(existsSync('/etc/forklift-marker'), false)

  const deploy = await a.exec('id -un; sudo -n id -un', { user: 'deploy' })
  assert.equal(deploy.stdout, 'deploy\nroot\n')
  assert.equal((await a.exec('id -un', { user: 'deploy', sudo: true })).stdout, 'root\n')

  const old = a.fingerprint
  await a.restart({ newHostKey: true })
  assert.notEqual(a.fingerprint, old)
  assert.equal((await a.exec('cat /etc/forklift-marker')).stdout, 'mine\n')
  assert.equal(
    (await a.exec('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')).stdout.split(' ')[1],
    a.fingerprint,
  )

  await lab.stop()
  assert.deepEqual(processesMentioning(lab.dir), [])
  assert.equal(existsSync(lab.dir), false)
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
  assert.ok(!mounts.includes(lab.dir))
})

test('rootfs nodes booted by systemd', async (t) => {
  if (!requireRootfs(t, { systemd: true })) return
  const lab = await startRootfsNodes(t, { count: 2, systemd: true })
  const [a, b] = lab.nodes as [TestNode, TestNode]
  // Booted side by side, neither fails a unit (each container has a cgroup tree of its own).
  for (const [i, node] of lab.nodes.entries()) {
    const status = await node.exec(
      'systemctl is-system-running --wait; systemctl is-active ssh; hostname; cat /proc/1/comm; systemctl --failed --plain --no-legend',
    )
    assert.equal(status.stdout, `running\nactive\nnode-${i + 1}\nsystemd\n`)
  }
  await a.exec('systemctl mask --now getty.target >/dev/null 2>&1; touch /etc/only-on-a')
  assert.notEqual((await b.exec('test -e /etc/only-on-a')).code, 0)

  await b.kill()
  await b.restart()
  assert.equal((await b.exec('systemctl is-system-running --wait')).stdout, 'running\n')

  await lab.stop()
  assert.deepEqual(processesMentioning(lab.dir), [])
  assert.equal(existsSync(lab.dir), false)
  // nspawn was stopped so that it cleaned up after itself.
  for (const node of lab.nodes) {
    const machine = `forklift-test-${node.address.replaceAll('.', '-')}`
    assert.equal(existsSync(join('/run/systemd/nspawn/propagate', machine)), false)
    assert.deepEqual(nodeCgroups(machine).filter(existsSync), [])
  }
})
