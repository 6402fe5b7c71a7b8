import type { Action } from '../actions/types.js'
import type { Facts } from '../model/node.js'
import type { ActionBuilders } from './builders.js'

/** Plain data a crate's phase function receives; crosses into pods as JSON. */
export interface CrateContextData {
  crate: string
  phase: string
  node: {
    name: string
    id: string
    group: string
    address: string
    provider: string
    root?: string
    tags?: Record<string, string>
    facts: Facts
  }
  group: { name: string; count: number; provider: string }
  /** This crate's settings from the group. */
  settings: Record<string, unknown>
  /** The merged environment for this node's group (secrets included: redaction happens at output). */
  environment: Record<string, unknown>
  /** Data published in the settings phase: target (group or node name) → facility → data[]. */
  published: PublishedData
  /** Nodes of every group in the run, for crates that name other nodes. */
  nodes: { name: string; group: string; address: string }[]
}

/** node name → facility → data, plus every group the node is in, for lookups by group. */
export type PublishedData = Record<string, { groups: string[]; facilities: Record<string, unknown> }>

/** The context object a crate's phase function is given. */
export interface CrateContext {
  crate: string
  phase: string
  node: CrateContextData['node']
  group: CrateContextData['group']
  settings: Record<string, unknown>
  env: {
    /** Read `a.b.c` from the environment; throws naming the key and crate when missing and no default. */
    get<T = unknown>(path: string, fallback?: T): T
    readonly data: Record<string, unknown>
  }
  /** Publish data for other nodes (settings phase). */
  publish(facility: string, data: unknown): void
  /** Data published by a node (by name) or by every node of a group (by group name), for one facility. */
  settingsOf(groupOrNode: string, facility: string): unknown[]
  nodes: CrateContextData['nodes']
  /** Typed builders of every action type, the same as `actions` exported by the package. */
  actions: ActionBuilders
}

export type PhaseFunction = (ctx: CrateContext) => Action[] | Promise<Action[]>

/** What a crate module exports as default. */
export interface CrateDefinition {
  name?: string
  /** Default settings, merged under the group's settings. */
  defaults?: Record<string, unknown>
  phases: Record<string, PhaseFunction>
}

/** A crate found on the search path. */
export interface ResolvedCrate {
  name: string
  /** Folder holding the crate. */
  dir: string
  /** Absolute path of the module to import. */
  entry: string
  /** The crate's declared dependencies (package.json `dependencies`), for pods. */
  dependencies: Record<string, string>
}

/** What running one phase function produced. */
export interface PhaseOutput {
  actions: Action[]
  /** facility → data published by this call. */
  published: Record<string, unknown>
  /** The crate's `defaults`, as its module declares them (the group's settings go over them). */
  defaults?: unknown
}

/** Runs crate phase functions (in pods: see pod-runner.ts); the engine only sees this. */
export interface CrateRunner {
  /** Whether the crate defines the phase (without running it). */
  hasPhase(crate: ResolvedCrate, phase: string): Promise<boolean>
  /** The phases the crate defines. */
  phases(crate: ResolvedCrate): Promise<string[]>
  runPhase(crate: ResolvedCrate, context: CrateContextData): Promise<PhaseOutput>
  close(): Promise<void>
}

/** Identity helper that types a crate module's default export. */
export function defineCrate(definition: CrateDefinition): CrateDefinition {
  return definition
}
