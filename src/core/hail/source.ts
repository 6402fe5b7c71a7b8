/** A Hydra build: a Nix store path to realise. */
export interface NixBuild {
  /** Hydra's build id. */
  id: string
  /** Nix store path to realise. */
  storePath: string
  /** Evaluations the build belongs to. */
  evals: number[]
  /** Where the source said it (the build's URL), for logs. */
  url: string
}

/** A manifest's build: a tarball to download and verify. */
export interface ArtifactBuild {
  /** The manifest's id. */
  id: string
  artifact: { url: string; sha256: string }
  /** Where the source said it (the manifest's URL), for logs. */
  url: string
}

/** A build a source offers for deployment: which kind it is says which backend can deploy it. */
export type Candidate = NixBuild | ArtifactBuild

/** Where a build's content comes from: its store path or its artifact's URL. */
export function buildPath(candidate: Candidate): string {
  return 'storePath' in candidate ? candidate.storePath : candidate.artifact.url
}

/** What one poll of a source found. */
export type SourceResult<C extends Candidate = Candidate> =
  | { kind: 'build'; candidate: C }
  /** Nothing to deploy yet (Hydra: no successful build). */
  | { kind: 'none'; message: string }
  /** A build exists but a condition holds it back (its evaluation has failed jobs). */
  | { kind: 'waiting'; candidate: C; message: string }

/** Where builds come from: Hydra, or a plain JSON manifest. */
export interface Source<C extends Candidate = Candidate> {
  /** One line naming the source, for logs and status. */
  readonly description: string
  poll(signal?: AbortSignal): Promise<SourceResult<C>>
}
