import type { z } from 'zod'
import { ProviderError } from '../errors.js'
import type { GroupSpec } from '../model/group.js'
import type { Node } from '../model/node.js'

/** Everything a provider needs to know about the run it is part of. */
export interface ProviderContext {
  /** Provider instance name from forklift.yaml. */
  name: string
  /** Project name (forklift.yaml `name`, else the folder name). */
  project: string
  /** Folder of forklift.yaml: relative paths in settings resolve against it. */
  projectDir: string
  /** The settings as written in forklift.yaml, already checked against `settingsSchema`: parse them with it for its defaults. */
  settings: Record<string, unknown>
  /** A per-run id, for idempotency tokens. */
  runId: string
  /** Progress lines for the renderers (never printed by the provider itself). */
  log: (message: string) => void
  /** Warnings for the renderers (default: progress lines). */
  warn?: (message: string) => void
  /** The run trusts host keys seen for the first time (--accept-new-host-keys). */
  acceptNewHostKeys?: boolean
}

/** What a listing asks for. */
export interface NodeQuery {
  /** Only this group's nodes (all when absent). */
  group?: string
  /**
   * The nodes are about to be used (lift, converge): return them reachable, finishing what an
   * interrupted create left (a node still starting, say). Without it (`forklift nodes`), list as they are.
   */
  ready?: boolean
  /** A dry run: getting nodes ready changes nothing at the provider (no tags, no names written). */
  readOnly?: boolean
  /** Aborted on a second Ctrl-C: stop waiting. */
  signal?: AbortSignal
  /**
   * On converge: the group as forklift.yaml wants it, so a provider brings what it keeps per group
   * (firewall rules, say) in line with it, even when no node is created.
   */
  spec?: GroupSpec
}

/** What converge is about to do to one group's nodes. */
export interface ChangePlan {
  /** The group as forklift.yaml gives it (createNodes gets the same). */
  group: GroupSpec
  /** Nodes to create (0 when none). */
  create: number
  /** Nodes to destroy (empty when none). */
  destroy: Node[]
}

/** Source of truth for which nodes exist. */
export interface Provider {
  /** Nodes that exist, optionally only those of one group. */
  listNodes(query: NodeQuery): Promise<Node[]>
  /** Create `count` nodes for the group and return them once reachable; absent when the provider cannot create. */
  createNodes?(group: GroupSpec, count: number, signal: AbortSignal): Promise<Node[]>
  /** Destroy the given nodes; absent when the provider cannot destroy. */
  destroyNodes?(nodes: Node[], signal: AbortSignal): Promise<void>
  /**
   * A dry run's stand-in for createNodes and destroyNodes: every check they make before changing
   * anything (settings, executables, credentials, images), changing nothing. Throws what they would
   * throw, so that a dry run fails where the real run would. Absent: listNodes checked it all.
   */
  preflight?(plan: ChangePlan, signal: AbortSignal): Promise<void>
  /** Release clients and processes. */
  close?(): Promise<void>
}

/**
 * createNodes failed for some of the nodes and brought up the others: `created` are reachable and
 * belong to the group; the message says what failed.
 */
export class NodesPartlyCreatedError extends ProviderError {
  override name = 'NodesPartlyCreatedError'
  constructor(
    message: string,
    readonly created: Node[],
  ) {
    super(message)
  }
}

/** What a provider module exports as default. */
export interface ProviderFactory {
  /** Provider type name, e.g. `ec2`. */
  type: string
  description: string
  /** Whether providers of this type can create and destroy nodes. */
  canCreate: boolean
  /** Whether an instance with these settings creates nodes, when that depends on them (default: canCreate). */
  createsNodes?(settings: Record<string, unknown>): boolean
  /** Schema of the provider's settings: forklift.yaml is validated against it and `forklift schema` includes it. */
  settingsSchema: z.ZodType
  /** Build a provider for one instance of this type. */
  create(context: ProviderContext): Provider | Promise<Provider>
}

/** Identity helper that types a provider module's default export. */
export function defineProvider(factory: ProviderFactory): ProviderFactory {
  return factory
}
