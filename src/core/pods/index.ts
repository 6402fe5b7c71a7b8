// Pods: isolated, sandboxed Node runtimes with their own dependencies.
export { type CachedSet, listPodCache, parseAge, prunePodCache } from './cache.js'
export { defaultPodCacheDir } from './cache-layout.js'
export {
  PodError,
  PodExitError,
  PodInstallError,
  PodTimeoutError,
  PodUsageError,
  PodValueError,
  type RemoteErrorData,
} from './errors.js'
export { toJsonValue } from './json.js'
export { destroyPod, makePod, type Pod, type PodLimits, type PodOptions } from './pod.js'
export { type PodPool, type PodPoolOptions, podPool } from './pool.js'
export {
  type OsSandbox,
  osSandbox,
  PodSandboxError,
  SANDBOX_MODES,
  type SandboxMode,
  takeSandboxWarning,
} from './sandbox.js'
export type { Dependencies } from './specs.js'
export { unsendableReason } from './values.js'
