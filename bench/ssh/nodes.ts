import { startSshNodes, type TestNodes } from '../../test/support/nodes.js'
import { BENCH_USER, ensureBenchUser } from './login.js'

/**
 * Start `count` loopback sshd nodes for the bench. VERBOSE makes sshd log each login and each session it starts,
 * which is how connections and channels are counted (see sshd-log.ts).
 */
export async function startBenchNodes(count: number): Promise<TestNodes> {
  await ensureBenchUser()
  return startSshNodes(undefined, {
    count,
    prefix: 'n',
    user: BENCH_USER,
    sshdConfig: ['LogLevel VERBOSE', 'MaxSessions 64'],
  })
}
