/** A build a source offers for deployment. */
export interface Candidate {
  /** Hydra's build id, or the manifest's id. */
  id: string
  /** Nix store path to realise (Hydra). */
  storePath?: string
  /** Artifact to download and verify (manifest). */
  artifact?: { url: string; sha256: string }
  /** Evaluations the build belongs to (Hydra). */
  evals?: number[]
  /** Where the source said it (the build's URL), for logs. */
  url: string
}

/** What one poll of a source found. */
export type SourceResult =
  | { kind: 'build'; candidate: Candidate }
  /** Nothing to deploy yet (Hydra: no successful build). */
  | { kind: 'none'; message: string }
  /** A build exists but a condition holds it back (its evaluation has failed jobs). */
  | { kind: 'waiting'; candidate: Candidate; message: string }

/** Where builds come from: Hydra, or a plain JSON manifest. */
export interface Source {
  /** One line naming the source, for logs and status. */
  readonly description: string
  poll(signal?: AbortSignal): Promise<SourceResult>
}
