import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestNodes } from '../../test/support/nodes.js'
import { SCRATCH, type Step } from './workload.js'

const root = `${SCRATCH}/{{ inventory_hostname }}`
const at = (path: string) => (path === '.' ? root : `${root}/${path}`)
const jinja = (text: string) =>
  text.replaceAll('{node}', '{{ inventory_hostname }}').replaceAll('{address}', '{{ ansible_host }}')

/** One task per step, as an Ansible user would write it; JSON is YAML, so no serializer is needed. */
function task(step: Step, index: number): Record<string, unknown> {
  const name = `step ${index + 1} ${step.kind}`
  switch (step.kind) {
    case 'directory':
      return { name, 'ansible.builtin.file': { path: at(step.path), state: 'directory', mode: '0755' } }
    case 'file':
      return {
        name,
        'ansible.builtin.copy': { dest: at(step.path), content: jinja(step.content), mode: '0644' },
      }
    case 'symlink':
      return { name, 'ansible.builtin.file': { path: at(step.path), src: at(step.target), state: 'link' } }
    case 'line':
      return { name, 'ansible.builtin.lineinfile': { path: at(step.path), line: step.line, create: true } }
    case 'template':
      return {
        name,
        'ansible.builtin.template': {
          src: `templates/step-${index + 1}.j2`,
          dest: at(step.path),
          mode: '0644',
        },
      }
    case 'exec':
      return {
        name,
        'ansible.builtin.shell': { cmd: step.script, chdir: root, creates: at(step.creates) },
      }
    case 'user':
      return { name, 'ansible.builtin.user': { name: step.name, shell: '/bin/sh' } }
  }
}

/**
 * Write inventory, ansible.cfg and the playbook into `dir`, Ansible at its best: forks = N,
 * pipelining, ControlPersist, no fact gathering, the Python interpreter named (no discovery).
 * Each run gets its own ControlPath folder (ANSIBLE_SSH_CONTROL_PATH_DIR), so a run's connections
 * are its own. Returns the playbook file.
 */
export async function writeAnsibleProject(dir: string, nodes: TestNodes, steps: Step[]): Promise<string> {
  await mkdir(join(dir, 'templates'), { recursive: true })
  for (const [index, step] of steps.entries()) {
    if (step.kind === 'template') {
      await writeFile(join(dir, 'templates', `step-${index + 1}.j2`), `${step.lines.map(jinja).join('\n')}\n`)
    }
  }
  const hosts = nodes.nodes.map(
    (n) => `${n.name} ansible_host=${n.address} ansible_port=${n.port} ansible_user=${n.user}`,
  )
  await writeFile(join(dir, 'inventory.ini'), `[bench]\n${hosts.join('\n')}\n`)
  const sshArgs = [
    '-o ControlMaster=auto',
    '-o ControlPersist=60s',
    `-o UserKnownHostsFile=${nodes.knownHosts}`,
    '-o GlobalKnownHostsFile=/dev/null',
    '-o StrictHostKeyChecking=yes',
    '-o IdentitiesOnly=yes',
  ]
  const cfg = [
    '[defaults]',
    `inventory = ${join(dir, 'inventory.ini')}`,
    `forks = ${nodes.nodes.length}`,
    `private_key_file = ${nodes.clientKey}`,
    'interpreter_python = /usr/bin/python3',
    'host_key_checking = True',
    'gathering = explicit',
    'retry_files_enabled = False',
    `local_tmp = ${join(dir, 'ansible-local')}`,
    '',
    '[ssh_connection]',
    'pipelining = True',
    `ssh_args = ${sshArgs.join(' ')}`,
    '',
  ]
  await writeFile(join(dir, 'ansible.cfg'), cfg.join('\n'))
  const play = [{ hosts: 'bench', gather_facts: false, become: true, tasks: steps.map(task) }]
  const playbook = join(dir, 'playbook.yml')
  await writeFile(playbook, `${JSON.stringify(play, null, 2)}\n`)
  return playbook
}
