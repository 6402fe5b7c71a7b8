import { join } from 'node:path'
import { forkliftBin } from '../../test/support/paths.js'

/** A tool under test: how to run it once against the nodes. */
export interface Contender {
  name: 'forklift' | 'ansible' | 'floor'
  /** Command and environment for one run; `runDir` is fresh for every run. */
  command(runDir: string): { argv: string[]; env: NodeJS.ProcessEnv }
  /** Whether a warm run's output says nothing changed (undefined: the tool does not say). */
  unchanged(output: string): boolean | undefined
}

/** The environment every contender starts from: no agent, nothing of the caller's ssh setup. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.SSH_AUTH_SOCK
  return env
}

/** `forklift lift` with as many nodes at once as there are nodes (as Ansible's forks = N). */
export function forkliftContender(work: string, config: string, count: number): Contender {
  return {
    name: 'forklift',
    command: () => ({
      argv: [process.execPath, forkliftBin, 'lift', '--config', config, '--concurrency', String(count)],
      env: { ...baseEnv(), XDG_CONFIG_HOME: join(work, 'config'), XDG_CACHE_HOME: join(work, 'cache') },
    }),
    unchanged: (output) =>
      !/\bconfigure (changed|failed)\b|FAILED/.test(output) && /\bconfigure ok\b/.test(output),
  }
}

/** `ansible-playbook` with the bench's ansible.cfg; each run its own ControlPath folder. */
export function ansibleContender(work: string, playbook: string): Contender {
  return {
    name: 'ansible',
    command: (runDir) => ({
      argv: ['ansible-playbook', playbook],
      env: {
        ...baseEnv(),
        ANSIBLE_CONFIG: join(work, 'ansible.cfg'),
        ANSIBLE_HOME: join(work, 'ansible-home'),
        ANSIBLE_SSH_CONTROL_PATH_DIR: runDir,
        ANSIBLE_NOCOLOR: '1',
      },
    }),
    unchanged: (output) => {
      const recap = output.slice(output.lastIndexOf('PLAY RECAP'))
      return /changed=\d/.test(recap) && !/changed=[1-9]|failed=[1-9]|unreachable=[1-9]/.test(recap)
    },
  }
}

/** One plain ssh per node, all at once. */
export function floorContender(driver: string): Contender {
  return {
    name: 'floor',
    command: () => ({ argv: ['/bin/sh', driver], env: baseEnv() }),
    unchanged: () => undefined,
  }
}
