import type { Action } from '../actions/types.js'

/** A crate used by a group, with its settings. */
export interface CrateUse {
  name: string
  settings: Record<string, unknown>
}

/** A group as the engine and providers see it, after config is loaded. */
export interface GroupSpec {
  name: string
  /** Provider instance name (key of `providers`). */
  provider: string
  /** Desired number of nodes; absent: the nodes the provider lists (providers that cannot create nodes). */
  count?: number
  node: NodeSpec
  crates: CrateUse[]
  /** Extra actions per phase, from forklift.yaml. */
  phases: Record<string, Action[]>
  /** The group's merged environment (top level < provider < group). */
  environment: Record<string, unknown>
}

export interface NodeSpec {
  image: { id?: string; os?: string; version?: string; box?: string }
  hardware: {
    'instance-type'?: string
    'min-ram'?: number
    'min-cores'?: number
    cpus?: number
    memory?: number
  }
  network: { 'inbound-ports': number[] }
  /** The login Forklift uses (the admin user bootstrap creates); `identity-file` is an absolute path once loaded. */
  login: { user?: string; 'identity-file'?: string; 'public-key'?: string }
}
