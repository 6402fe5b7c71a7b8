// The package's public API: what crates, provider plugins and embedding programs import.
export { z } from 'zod'
export type * from './core/actions/types.js'
export { ConfigError } from './core/config/errors.js'
export type { ActionBuilder, ActionBuilders } from './core/crates/builders.js'
export { actions } from './core/crates/builders.js'
export type {
  CrateContext,
  CrateDefinition,
  PhaseFunction,
} from './core/crates/types.js'
export { defineCrate } from './core/crates/types.js'
export {
  CrateError,
  EXIT,
  type ExitCode,
  errorMessage,
  ForkliftError,
  type ForkliftErrorOptions,
  ProviderError,
  UsageError,
} from './core/errors.js'
export type { GroupSpec, NodeSpec } from './core/model/group.js'
export type { Facts, Node } from './core/model/node.js'
export { localPath } from './core/paths.js'
export {
  type Dependencies,
  destroyPod,
  makePod,
  type Pod,
  PodError,
  PodExitError,
  PodInstallError,
  type PodLimits,
  type PodOptions,
  type PodPool,
  type PodPoolOptions,
  PodTimeoutError,
  PodUsageError,
  PodValueError,
  podPool,
  type RemoteErrorData,
} from './core/pods/index.js'
export type {
  ChangePlan,
  NodeQuery,
  Provider,
  ProviderContext,
  ProviderFactory,
} from './core/providers/types.js'
export { defineProvider } from './core/providers/types.js'
