import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { type ActionContext, HANDLERS } from './actions.js'
import type { ConsoleMode } from './console.js'
import type { InstanceLauncher } from './launcher.js'
import { QueryError, QueryParams } from './query.js'
import { type InstanceRecord, World } from './world.js'
import { errorDocument, replyDocument } from './xml.js'

// A local EC2 Query-API endpoint for tests: the real AWS SDK talks HTTP to it, and every instance it
// launches is a real SSH node on loopback.

/** Credentials the endpoint accepts, and the access key id it treats as revoked. */
export const TEST_ACCESS_KEY_ID = 'AKIAFORKLIFTTEST0001'
export const TEST_SECRET_ACCESS_KEY = 'forklift-test-secret-access-key'
export const BAD_ACCESS_KEY_ID = 'AKIAFORKLIFTREVOKED1'
export const API_VERSION = '2016-11-15'

export interface Ec2EndpointOptions {
  launcher: InstanceLauncher
  region?: string
  /** Least time an instance stays pending (ms, default 300). */
  pendingMs?: number
  /** Time in shutting-down before terminated (ms, default 100). */
  shuttingDownMs?: number
  /** How long terminated instances stay visible (ms, default 60 000). */
  terminatedVisibleMs?: number
  /** Most instances per DescribeInstances page, whatever MaxResults asks (default: no limit). */
  pageLimit?: number
  /** Pending + running instances allowed before InstanceLimitExceeded (default 20). */
  instanceLimit?: number
  /** What the console shows of host keys (default: both cloud-init blocks). */
  console?: ConsoleMode
  /** Whether GetConsoleOutput takes Latest=true, as on Nitro instance types (default true). */
  latestConsole?: boolean
  /**
   * EC2's eventual consistency, switched on: a new instance, security group or key pair stays unknown
   * to this many calls naming it, and a security group keeps a dependency for this many
   * DeleteSecurityGroup calls after its instances terminated (default 0: seen at once).
   */
  consistencyCalls?: number
  /** GetConsoleOutput calls per instance that see cloud-init still running, before its keys (default 0). */
  consoleLateCalls?: number
  /** Whether the account has a default VPC (default true). */
  defaultVpc?: boolean
  /** Most images per DescribeImages page (default: no limit). */
  imagePageLimit?: number
  /** vCPUs of pending + running instances allowed before VcpuLimitExceeded (default 64). */
  vcpuLimit?: number
}

/** One request as the endpoint saw it. */
export interface CallRecord {
  action: string
  status: number
  accessKeyId?: string
  params: QueryParams
  /** The reply was never sent: the connection was dropped after the action was applied. */
  dropped?: boolean
  /** Neither applied nor answered: held open by the stallCreateTags fault. */
  stalled?: boolean
}

/** Switches that make the endpoint misbehave the way EC2 sometimes does. */
export interface Ec2Faults {
  /** The next `count` calls (of `actions`, or any) fail with 503 RequestLimitExceeded. */
  throttle(count: number, actions?: string[]): void
  /** The next `count` RunInstances are applied, then their connection is reset before any reply. */
  dropRunInstancesReply(count?: number): void
  /** The next `count` RunInstances fail with InsufficientInstanceCapacity (500), launching nothing. */
  failCapacity(count?: number): void
  /** These actions fail with 403 UnauthorizedOperation until reset. */
  deny(...actions: string[]): void
  /** Calls of `action` for which `when` holds fail with 403 UnauthorizedOperation until reset. */
  denyWhen(action: string, when: (params: QueryParams) => boolean): void
  /** The next launched instance goes from pending to terminated by itself, with this StateReason. */
  failLaunch(code: string, message: string): void
  /** Instances launched from now on stay pending until releasePending (or reset, or stop). */
  holdPending(): void
  releasePending(): void
  /**
   * The next `count` CreateTags are neither applied nor answered: the client waits until it gives
   * up or is interrupted (their connections are closed on reset or stop).
   */
  stallCreateTags(count?: number): void
  /**
   * The next `count` CreateTags fail with 400 InvalidInstanceID.NotFound, applying nothing: EC2 right
   * after a launch, before the new instance ids have reached every part of it.
   */
  unseenByCreateTags(count?: number): void
  reset(): void
}

export interface Ec2Endpoint {
  url: string
  region: string
  world: World
  faults: Ec2Faults
  calls: CallRecord[]
  /** Environment that points the SDK (or the CLI) at this endpoint with valid credentials. */
  env: Record<string, string>
  /** Instances still visible, optionally only those in the given states. */
  instances(...states: string[]): InstanceRecord[]
  /** Internal failures (a bug in the endpoint or a launch that failed), for tests to assert there were none. */
  errors: Error[]
  /** Terminate every instance (stopping its node) and close the server. */
  stop(): Promise<void>
}

/** Start the endpoint on 127.0.0.1 at a free port. */
export async function startEc2Endpoint(options: Ec2EndpointOptions): Promise<Ec2Endpoint> {
  const region = options.region ?? 'us-east-1'
  const world = new World({
    launcher: options.launcher,
    pendingMs: options.pendingMs ?? 300,
    shuttingDownMs: options.shuttingDownMs ?? 100,
    terminatedVisibleMs: options.terminatedVisibleMs ?? 60_000,
    console: options.console ?? 'full',
    consistencyCalls: options.consistencyCalls ?? 0,
    consoleLateCalls: options.consoleLateCalls ?? 0,
    defaultVpc: options.defaultVpc ?? true,
  })
  const context: ActionContext = {
    world,
    region,
    pageLimit: options.pageLimit ?? Number.POSITIVE_INFINITY,
    instanceLimit: options.instanceLimit ?? 20,
    latestConsole: options.latestConsole ?? true,
    imagePageLimit: options.imagePageLimit ?? Number.POSITIVE_INFINITY,
    typePageLimit: 100,
    vcpuLimit: options.vcpuLimit ?? 64,
  }
  const calls: CallRecord[] = []
  const errors: Error[] = []
  const state = {
    throttle: 0,
    throttleActions: undefined as string[] | undefined,
    drop: 0,
    capacity: 0,
    stallTags: 0,
    unseenTags: 0,
    denied: new Set<string>(),
    deniedWhen: [] as [string, (params: QueryParams) => boolean][],
  }
  const stalled = new Set<ServerResponse>()
  const closeStalled = () => {
    for (const res of stalled) res.socket?.destroy()
    stalled.clear()
  }
  const faults: Ec2Faults = {
    throttle(count, actions) {
      state.throttle = count
      state.throttleActions = actions
    },
    dropRunInstancesReply(count = 1) {
      state.drop = count
    },
    failCapacity(count = Number.POSITIVE_INFINITY) {
      state.capacity = count
    },
    deny(...actions) {
      for (const action of actions) state.denied.add(action)
    },
    denyWhen(action, when) {
      state.deniedWhen.push([action, when])
    },
    failLaunch(code, message) {
      world.launchFailures.push({ code, message })
    },
    holdPending() {
      world.holdPending()
    },
    releasePending() {
      world.releasePending()
    },
    stallCreateTags(count = 1) {
      state.stallTags = count
    },
    unseenByCreateTags(count = 1) {
      state.unseenTags = count
    },
    reset() {
      Object.assign(state, {
        throttle: 0,
        throttleActions: undefined,
        drop: 0,
        capacity: 0,
        stallTags: 0,
        unseenTags: 0,
      })
      state.denied.clear()
      state.deniedWhen = []
      world.launchFailures.length = 0
      world.releasePending()
      closeStalled()
    },
  }

  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      errors.push(error)
      if (!res.headersSent)
        send(res, 500, errorDocument('InternalError', 'An internal error has occurred', randomUUID()))
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID()
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const params = QueryParams.parse(Buffer.concat(chunks).toString('utf8'))
    const action = params.get('Action') ?? ''
    const accessKeyId = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1]
    const record: CallRecord = { action, status: 200, params, ...(accessKeyId ? { accessKeyId } : {}) }
    calls.push(record)
    const fail = (status: number, code: string, message: string) => {
      record.status = status
      send(res, status, errorDocument(code, message, requestId), requestId)
    }

    if (req.method !== 'POST') return fail(400, 'InvalidAction', 'The EC2 Query API takes POST requests')
    if (!accessKeyId)
      return fail(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials')
    if (accessKeyId === BAD_ACCESS_KEY_ID) {
      return fail(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials')
    }
    if (!action) return fail(400, 'MissingAction', 'The request must contain the parameter Action')
    if (params.get('Version') !== API_VERSION) {
      return fail(400, 'InvalidParameterValue', `Invalid value '${params.get('Version')}' for Version`)
    }
    const handler = HANDLERS[action]
    if (!handler) return fail(400, 'InvalidAction', `The action ${action} is not valid for this web service.`)
    if (state.denied.has(action) || state.deniedWhen.some(([a, when]) => a === action && when(params))) {
      return fail(
        403,
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/forklift-test is not authorized to perform: ec2:${action} because no identity-based policy allows the ec2:${action} action. Encoded authorization failure message: ${Buffer.from(action).toString('base64')}`,
      )
    }
    if (state.throttle > 0 && (!state.throttleActions || state.throttleActions.includes(action))) {
      state.throttle--
      return fail(503, 'RequestLimitExceeded', 'Request limit exceeded.')
    }
    if (params.bool('DryRun')) {
      return fail(412, 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.')
    }
    if (action === 'RunInstances' && state.capacity > 0) {
      state.capacity--
      const type = params.get('InstanceType') ?? 'm1.small'
      return fail(
        500,
        'InsufficientInstanceCapacity',
        `We currently do not have sufficient ${type} capacity in the Availability Zone you requested (${region}a). Our system will be working on provisioning additional capacity. You can currently get ${type} capacity by not specifying an Availability Zone in your request or choosing ${region}b, ${region}c.`,
      )
    }
    if (action === 'CreateTags' && state.stallTags > 0) {
      state.stallTags--
      record.stalled = true
      stalled.add(res)
      return
    }
    if (action === 'CreateTags' && state.unseenTags > 0) {
      state.unseenTags--
      const id = params.get('ResourceId.1') ?? ''
      return fail(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`)
    }
    let body: string
    try {
      body = replyDocument(action, requestId, handler(params, context))
    } catch (error) {
      if (error instanceof QueryError) return fail(error.status, error.code, error.message)
      throw error
    }
    if (action === 'RunInstances' && state.drop > 0) {
      // Applied, but the client never hears of it: its retry must carry the same ClientToken.
      state.drop--
      record.dropped = true
      req.socket.destroy()
      return
    }
    send(res, 200, body, requestId)
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    region,
    world,
    faults,
    calls,
    get errors() {
      return [...errors, ...world.launchErrors]
    },
    env: {
      AWS_ENDPOINT_URL_EC2: url,
      AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: TEST_SECRET_ACCESS_KEY,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    instances: (...states) =>
      world.visibleInstances().filter((i) => states.length === 0 || states.includes(i.state)),
    async stop() {
      closeStalled()
      await world.shutdown()
      server.close()
      for (const socket of sockets) socket.destroy()
    },
  }
}

function send(res: ServerResponse, status: number, body: string, requestId = randomUUID()): void {
  res.writeHead(status, {
    'content-type': 'text/xml;charset=UTF-8',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    server: 'AmazonEC2',
  })
  res.end(body)
}
