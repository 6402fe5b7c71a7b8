import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { EXIT, errorMessage, ForkliftError } from '../errors.js'
import { lookupNetrc, type NetrcEntry } from './netrc.js'

/** How every request of a watcher is made: a timeout, netrc credentials, TLS leniency. */
export interface HttpOptions {
  /** Time for the whole request, body included, in ms. */
  timeoutMs: number
  netrc?: NetrcEntry[]
  /** Accept a self-signed certificate (hail's --allow-self-signed). */
  allowSelfSigned?: boolean
  /** Largest JSON body read, in bytes. */
  maxBodyBytes?: number
}

/** A failed request, with what it was (for status and backoff) and the status code if one came. */
export class HttpError extends ForkliftError {
  override name = 'HttpError'
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network' | 'status' | 'not-json' | 'too-large' | 'aborted',
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message, { code: 'HTTP', exitCode: EXIT.failed })
  }
}

interface Opened {
  response: IncomingMessage
  url: URL
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

function authHeader(url: URL, netrc?: NetrcEntry[]): string | undefined {
  if (url.username) {
    return `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
  }
  const entry = netrc && lookupNetrc(netrc, url.hostname)
  if (!entry?.login) return undefined
  return `Basic ${Buffer.from(`${entry.login}:${entry.password ?? ''}`).toString('base64')}`
}

/** Strip credentials from a URL before it is logged. */
export function safeUrl(url: URL | string): string {
  const u = new URL(String(url))
  u.username = ''
  u.password = ''
  return u.toString()
}

function openOnce(
  url: URL,
  headers: Record<string, string>,
  options: HttpOptions,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(new HttpError(`${safeUrl(url)}: only http and https URLs are supported`, 'network'))
      return
    }
    const auth = authHeader(url, options.netrc)
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers: { 'User-Agent': 'forklift-hail', ...headers, ...(auth ? { Authorization: auth } : {}) },
        signal,
        ...(url.protocol === 'https:' && options.allowSelfSigned ? { rejectUnauthorized: false } : {}),
      },
      resolve,
    )
    request.on('error', reject)
    request.end()
  })
}

/**
 * GET a URL, following redirects (credentials are looked up again for each host), under one
 * deadline for the whole exchange. `signal` stops it early (shutdown). The caller consumes the body.
 */
async function open(
  target: string,
  headers: Record<string, string>,
  options: HttpOptions,
  signal: AbortSignal | undefined,
  consume: (opened: Opened, deadline: AbortSignal) => Promise<unknown>,
): Promise<unknown> {
  // One controller per request, its timer and listener removed at the end: a watcher makes a
  // request every period for months, so nothing may outlive the request.
  const controller = new AbortController()
  const combined = controller.signal
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, options.timeoutMs)
  const onStop = () => controller.abort()
  signal?.addEventListener('abort', onStop, { once: true })
  if (signal?.aborted) controller.abort()
  let url = new URL(target)
  try {
    for (let hops = 0; ; hops++) {
      const response = await openOnce(url, headers, options, combined)
      const location = response.headers.location
      if (REDIRECTS.has(response.statusCode ?? 0) && location) {
        response.resume()
        if (hops >= 5) throw new HttpError(`${safeUrl(url)}: too many redirects`, 'network')
        url = new URL(location, url)
        continue
      }
      return await consume({ response, url }, combined)
    }
  } catch (error) {
    if (error instanceof HttpError) throw error
    if (signal?.aborted) throw new HttpError(`${safeUrl(url)}: request abandoned (stopping)`, 'aborted')
    if (timedOut) throw new HttpError(`${safeUrl(url)}: no answer within ${options.timeoutMs} ms`, 'timeout')
    const code = (error as NodeJS.ErrnoException).code
    throw new HttpError(`${safeUrl(url)}: ${code ?? errorMessage(error)}`, 'network')
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onStop)
  }
}

async function readBody(response: IncomingMessage, limit: number, url: URL): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response) {
    size += (chunk as Buffer).length
    if (size > limit) {
      response.destroy()
      throw new HttpError(`${safeUrl(url)}: body larger than ${limit} bytes`, 'too-large')
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The answer to a JSON GET: status, final URL (after redirects) and the parsed body. */
export interface JsonResponse {
  status: number
  url: string
  body: unknown
}

/**
 * GET JSON with `Accept: application/json`. Any 2xx or 4xx with a JSON body is returned (Hydra
 * answers 404 with `{"error": …}`); 5xx, an HTML page or other non-JSON body is an HttpError.
 */
export async function getJson(
  url: string,
  options: HttpOptions,
  signal?: AbortSignal,
): Promise<JsonResponse> {
  return (await open(
    url,
    { Accept: 'application/json' },
    options,
    signal,
    async ({ response, url: final }) => {
      const status = response.statusCode ?? 0
      const text = await readBody(response, options.maxBodyBytes ?? 8 * 1024 * 1024, final)
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        const kind = (response.headers['content-type'] ?? '').split(';')[0] || 'unknown content'
        if (status >= 400)
          throw new HttpError(`${safeUrl(final)}: HTTP ${status} (${kind})`, 'status', status)
        throw new HttpError(
          `${safeUrl(final)}: expected JSON, got ${kind}: ${JSON.stringify(text.slice(0, 60))}`,
          'not-json',
          status,
        )
      }
      if (status >= 500 || status === 401 || status === 403) {
        const detail = body && typeof body === 'object' && 'error' in body ? `: ${String(body.error)}` : ''
        throw new HttpError(`${safeUrl(final)}: HTTP ${status}${detail}`, 'status', status, body)
      }
      return { status, url: final.toString(), body }
    },
  )) as JsonResponse
}

/**
 * Stream a GET body into `sink` (called per chunk). Non-2xx is an HttpError. The deadline covers
 * the whole download; `signal` abandons it (the caller removes what it wrote).
 */
export async function download(
  url: string,
  sink: (chunk: Buffer) => Promise<void> | void,
  options: HttpOptions,
  signal?: AbortSignal,
): Promise<{ bytes: number; url: string }> {
  return (await open(url, {}, options, signal, async ({ response, url: final }) => {
    const status = response.statusCode ?? 0
    if (status < 200 || status >= 300) {
      response.resume()
      throw new HttpError(`${safeUrl(final)}: HTTP ${status}`, 'status', status)
    }
    let bytes = 0
    for await (const chunk of response) {
      bytes += (chunk as Buffer).length
      await sink(chunk as Buffer)
    }
    if (!response.complete)
      throw new HttpError(`${safeUrl(final)}: connection closed before the end of the body`, 'network')
    return { bytes, url: final.toString() }
  })) as { bytes: number; url: string }
}
