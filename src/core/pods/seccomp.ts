// A seccomp filter for pods, as the classic BPF program bubblewrap loads with `--seccomp FD`. Written
// out here instruction by instruction, so it needs no libseccomp and no native module. It denies
// (EPERM) the calls a pod has no use for and that open the kernel to it: tracing and reading other
// processes, the kernel keyring, BPF, perf events, mounts, new namespaces, modules, kexec, and the
// like. Everything else is allowed: Node's permission model and the namespaces do the rest.

/** Syscall numbers per architecture: x86-64 and AArch64 (the generic table). */
const TABLES = {
  x64: {
    arch: 0xc000003e, // AUDIT_ARCH_X86_64
    clone: 56,
    clone3: 435,
    denied: {
      ptrace: 101,
      process_vm_readv: 310,
      process_vm_writev: 311,
      keyctl: 250,
      add_key: 248,
      request_key: 249,
      bpf: 321,
      perf_event_open: 298,
      userfaultfd: 323,
      mount: 165,
      umount2: 166,
      pivot_root: 155,
      chroot: 161,
      open_tree: 428,
      move_mount: 429,
      fsopen: 430,
      fsconfig: 431,
      fsmount: 432,
      fspick: 433,
      mount_setattr: 442,
      unshare: 272,
      setns: 308,
      open_by_handle_at: 304,
      name_to_handle_at: 303,
      kexec_load: 246,
      kexec_file_load: 320,
      init_module: 175,
      finit_module: 313,
      delete_module: 176,
      acct: 163,
      swapon: 167,
      swapoff: 168,
      reboot: 169,
      syslog: 103,
      quotactl: 179,
      lookup_dcookie: 212,
    },
  },
  arm64: {
    arch: 0xc00000b7, // AUDIT_ARCH_AARCH64
    clone: 220,
    clone3: 435,
    denied: {
      ptrace: 117,
      process_vm_readv: 270,
      process_vm_writev: 271,
      keyctl: 219,
      add_key: 217,
      request_key: 218,
      bpf: 280,
      perf_event_open: 241,
      userfaultfd: 282,
      mount: 40,
      umount2: 39,
      pivot_root: 41,
      chroot: 51,
      open_tree: 428,
      move_mount: 429,
      fsopen: 430,
      fsconfig: 431,
      fsmount: 432,
      fspick: 433,
      mount_setattr: 442,
      unshare: 97,
      setns: 268,
      open_by_handle_at: 265,
      name_to_handle_at: 264,
      kexec_load: 104,
      kexec_file_load: 294,
      init_module: 105,
      finit_module: 273,
      delete_module: 106,
      acct: 89,
      swapon: 224,
      swapoff: 225,
      reboot: 142,
      syslog: 116,
      quotactl: 60,
      lookup_dcookie: 18,
    },
  },
} as const

/** The syscalls the filter denies, by name, on this machine's architecture (none where it has no table). */
export function deniedSyscalls(arch: string = process.arch): string[] {
  const table = TABLES[arch as keyof typeof TABLES]
  return table ? Object.keys(table.denied) : []
}

// Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
const LD_W_ABS = 0x20
const JEQ_K = 0x15
const JGE_K = 0x35
const JSET_K = 0x45
const RET_K = 0x06
const RET_ALLOW = 0x7fff0000
const RET_ERRNO = 0x00050000
const EPERM = 1
const ENOSYS = 38
// offsetof(struct seccomp_data, …): nr, arch, the low 32 bits of args[0] (little-endian).
const NR = 0
const ARCH = 4
const ARG0_LOW = 16
// clone flags that make a namespace: a pod makes none (its threads are plain clones).
const CLONE_NEW = 0x10000000 | 0x00020000 | 0x20000000 | 0x40000000 | 0x08000000 | 0x04000000 | 0x02000000
// x32 system calls on x86-64 carry this bit: they would slip past numbers checked as x86-64 ones.
const X32_BIT = 0x40000000

type Insn = [code: number, jt: number | string, jf: number | string, k: number]

/**
 * The filter as bytes (struct sock_filter[], 8 bytes each, little-endian as both architectures) for `bwrap --seccomp FD`,
 * or undefined on an architecture this file has no syscall table for.
 */
export function seccompProgram(arch: string = process.arch): Buffer | undefined {
  const table = TABLES[arch as keyof typeof TABLES]
  if (!table) return undefined
  // Jumps name labels; resolved to relative offsets below.
  const program: Insn[] = [
    [LD_W_ABS, 0, 0, ARCH],
    [JEQ_K, 0, 'deny', table.arch],
    [LD_W_ABS, 0, 0, NR],
  ]
  if (arch === 'x64') program.push([JGE_K, 'deny', 0, X32_BIT])
  for (const nr of Object.values(table.denied)) program.push([JEQ_K, 'deny', 0, nr])
  // clone3 passes its flags in memory the filter cannot read: ENOSYS makes the C library use clone.
  program.push([JEQ_K, 'enosys', 0, table.clone3])
  program.push([JEQ_K, 0, 'allow', table.clone])
  program.push([LD_W_ABS, 0, 0, ARG0_LOW])
  program.push([JSET_K, 'deny', 'allow', CLONE_NEW])
  const labels: Record<string, number> = {}
  labels.allow = program.length
  program.push([RET_K, 0, 0, RET_ALLOW])
  labels.deny = program.length
  program.push([RET_K, 0, 0, RET_ERRNO | EPERM])
  labels.enosys = program.length
  program.push([RET_K, 0, 0, RET_ERRNO | ENOSYS])

  const out = Buffer.alloc(program.length * 8)
  program.forEach(([code, jt, jf, k], at) => {
    const offset = (target: number | string) =>
      typeof target === 'number' ? target : labels[target]! - at - 1
    out.writeUInt16LE(code, at * 8)
    out.writeUInt8(offset(jt), at * 8 + 2)
    out.writeUInt8(offset(jf), at * 8 + 3)
    out.writeUInt32LE(k >>> 0, at * 8 + 4)
  })
  return out
}
