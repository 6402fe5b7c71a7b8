/** What the endpoint asks of a launcher when an instance starts: cloud-init's part of a boot. */
export interface LaunchRequest {
  instanceId: string
  /** The image's default login (admin, ubuntu, ec2-user), created with passwordless sudo. */
  user: string
  /** The key pair's public key, authorized for `user`. */
  publicKey?: string
}

/** A running node behind an instance. */
export interface LaunchedNode {
  address: string
  port: number
  /** The node's SSH host public keys, OpenSSH one-line form. */
  hostKeys: string[]
  /** Run a script on the node as root, outside of anything the code under test does (for assertions). */
  exec?(script: string): Promise<{ stdout: string; stderr: string; code: number | null }>
  stop(): Promise<void>
}

/** Starts the real node behind each instance the endpoint launches. */
export interface InstanceLauncher {
  launch(request: LaunchRequest): Promise<LaunchedNode>
}
