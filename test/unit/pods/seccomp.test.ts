import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { deniedSyscalls, seccompProgram } from '../../../src/core/pods/seccomp.js'

// The filter is run here by a small classic-BPF interpreter, the way the kernel runs it on each call.

const ALLOW = 0x7fff0000
const EPERM = 0x00050001
const ENOSYS = 0x00050026

function run(program: Buffer, data: { arch: number; nr: number; arg0?: number }): number {
  const word = (offset: number) => {
    if (offset === 0) return data.nr >>> 0
    if (offset === 4) return data.arch >>> 0
    if (offset === 16) return (data.arg0 ?? 0) >>> 0
    throw new Error(`the filter reads offset ${offset}`)
  }
  let acc = 0
  for (let pc = 0; pc < program.length / 8; ) {
    const code = program.readUInt16LE(pc * 8)
    const jt = program.readUInt8(pc * 8 + 2)
    const jf = program.readUInt8(pc * 8 + 3)
    const k = program.readUInt32LE(pc * 8 + 4)
    switch (code) {
      case 0x20:
        acc = word(k)
        pc++
        break
      case 0x15:
        pc += 1 + (acc === k ? jt : jf)
        break
      case 0x35:
        pc += 1 + (acc >= k ? jt : jf)
        break
      case 0x45:
        pc += 1 + ((acc & k) !== 0 ? jt : jf)
        break
      case 0x06:
        return k
      default:
        throw new Error(`unknown opcode ${code}`)
    }
  }
  throw new Error('the filter ran off its end')
}

const X64 = 0xc000003e
const ARM64 = 0xc00000b7

describe('the seccomp filter', () => {
  const x64 = seccompProgram('x64')!
  const arm64 = seccompProgram('arm64')!

  it('denies tracing, other processes’ memory, keys, BPF, perf, mounts and namespaces', () => {
    for (const [nr, name] of [
      [101, 'ptrace'],
      [310, 'process_vm_readv'],
      [311, 'process_vm_writev'],
      [250, 'keyctl'],
      [321, 'bpf'],
      [298, 'perf_event_open'],
      [165, 'mount'],
      [272, 'unshare'],
      [308, 'setns'],
    ] as const)
      assert.equal(run(x64, { arch: X64, nr }), EPERM, name)
    for (const nr of [117, 270, 271, 219, 280, 241, 40, 97, 268])
      assert.equal(run(arm64, { arch: ARM64, nr }), EPERM, `arm64 ${nr}`)
    assert.ok(deniedSyscalls('x64').includes('ptrace'))
  })

  it('lets threads be made but not namespaces, and sends clone3 back to clone', () => {
    const thread = 0x3d0f00 // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
    assert.equal(run(x64, { arch: X64, nr: 56, arg0: thread }), ALLOW)
    assert.equal(run(x64, { arch: X64, nr: 56, arg0: thread | 0x10000000 }), EPERM)
    assert.equal(run(x64, { arch: X64, nr: 56, arg0: 0x20000000 }), EPERM)
    assert.equal(run(x64, { arch: X64, nr: 435 }), ENOSYS)
    assert.equal(run(arm64, { arch: ARM64, nr: 220, arg0: 0x40000000 }), EPERM)
  })

  it('denies every call of another architecture and x32 calls', () => {
    assert.equal(run(x64, { arch: 0x40000003, nr: 0 }), EPERM)
    assert.equal(run(x64, { arch: X64, nr: 0x40000000 + 1 }), EPERM)
  })

  it('allows every other call (a property over all numbers)', () => {
    const denied = new Set([
      101, 310, 311, 250, 248, 249, 321, 298, 323, 165, 166, 155, 161, 428, 429, 430, 431, 432, 433, 442, 272,
      308, 304, 303, 246, 320, 175, 313, 176, 163, 167, 168, 169, 103, 179, 212, 56, 435,
    ])
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), (nr) => {
        const verdict = run(x64, { arch: X64, nr })
        assert.equal(verdict, denied.has(nr) ? verdict : ALLOW, `syscall ${nr}`)
        if (!denied.has(nr)) assert.equal(verdict, ALLOW)
      }),
      { numRuns: 601 },
    )
  })

  it('has no table for other architectures: no filter, rather than a wrong one', () => {
    assert.equal(seccompProgram('ia32'), undefined)
    assert.deepEqual(deniedSyscalls('mips'), [])
  })
})
