import type { Generation } from './generations.js'
import type { Candidate } from './source.js'

/** Progress lines a backend reports while it works (the watcher turns them into log records). */
export type BackendLog = (message: string, fields?: Record<string, unknown>) => void

/** A profile's generations: what a rollback needs, whatever store the builds came from. */
export interface Profile {
  readonly kind: 'nix' | 'dir'
  /** The profile symlink. */
  readonly path: string
  current(): Promise<Generation | undefined>
  generations(): Promise<Generation[]>
  /** Make `target` the profile's new generation (none is added when it already is the current one). */
  switchTo(target: string): Promise<Generation>
  /** Point the profile at an existing generation. */
  switchGeneration(n: number): Promise<void>
  /** Remove a generation that is not current. */
  deleteGeneration(n: number): Promise<void>
  /** Remove the profile link itself (a first deployment that failed leaves no profile). */
  removeProfile(): Promise<void>
  /** Clear what a killed process may have left half made; returns what was removed. */
  recover(): Promise<string[]>
}

/**
 * A profile and the store its generations point into: Nix's (nix-store, nix-env) for Hydra builds
 * or, for machines without Nix, unpacked tarballs with the same `PROFILE-N-link` generations.
 */
export interface ProfileBackend<C extends Candidate = Candidate> extends Profile {
  /** The path the profile would point at for this build, when known before preparing it. */
  targetOf(candidate: C): string
  /** Make the build present locally (realise, or download + verify + unpack); returns its path. Abortable. */
  prepare(candidate: C, signal: AbortSignal, log: BackendLog): Promise<string>
}
