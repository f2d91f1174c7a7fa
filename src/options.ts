import type { FastifyRequest } from 'fastify'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { errors } from './errors.js'
import { absolutePath, flag, fraction, integer, object } from './option-checks.js'

/** Basic-auth credentials guarding every route under the prefix. */
export interface PprofAuthCredentials {
  username: string
  password: string
  /** Realm sent in `WWW-Authenticate`. @defaultValue 'fastify-pprof' */
  realm?: string
}

/** Basic auth checked against the user's own store. Resolve true to let the request in. */
export interface PprofAuthValidator {
  validate: (username: string, password: string, request: FastifyRequest) => boolean | Promise<boolean>
  /** Realm sent in `WWW-Authenticate`. @defaultValue 'fastify-pprof' */
  realm?: string
}

export type PprofAuth = PprofAuthCredentials | PprofAuthValidator

/** Auth as validated data: fixed credentials or the user's validator; the access layer builds the check. */
export type ResolvedAuth =
  | { readonly realm: string, readonly credentials: { readonly username: string, readonly password: string } }
  | { readonly realm: string, readonly validate: PprofAuthValidator['validate'] }

/** Repeated auth failures from one address: at most `maxFailures` per `windowMs`, then 429. */
export interface AuthRateLimit {
  maxFailures?: number
  windowMs?: number
  /** How many addresses are tracked at once (oldest dropped first). */
  maxAddresses?: number
}

/** The leak watch: heap captures on a timer, a verdict over them, evidence before an out-of-memory crash. */
export interface LeakWatchOptions {
  /** ms between heap captures. @defaultValue 300000 (5 minutes) */
  intervalMs?: number
  /** Captures the ring keeps. @defaultValue enough for 2 hours: 2 h / intervalMs + 1, at least 12 */
  keep?: number
  /** Where profiles are written when the heap nears its limit (absolute; created 0700). @defaultValue `<os.tmpdir()>/fastify-pprof-<uid>` */
  dir?: string
  /**
   * Fraction of where V8 may give up (80 % of the old generation's ceiling) at which they are written:
   * 0.9 is 72 % of the ceiling. `/leaks` shows the result in bytes (`nearHeapLimitBytes`). @defaultValue 0.9
   */
  nearHeapLimit?: number
  /**
   * The census of collections, one per interval: names the Maps, Sets, arrays,
   * listener lists and dictionaries whose size keeps rising (`holders` in /leaks).
   * @defaultValue true
   */
  census?: boolean
}

/**
 * Deep mode (`/leaks/retainers`): a heap snapshot, parsed in a worker, names
 * the retainer paths of the objects new since the previous one. Refused,
 * before anything is done, when its estimate exceeds these limits.
 */
export interface RetainersOptions {
  /** Longest estimated stop of the event loop while V8 writes the snapshot, in seconds. @defaultValue 10 */
  maxStallSeconds?: number
  /** Most estimated extra memory (V8's copy of the heap graph, then the worker's parse), in MB. @defaultValue 2048 */
  maxExtraMemoryMB?: number
}

/** Requests in flight (`/requests`) and the stuck gauge on `/metrics`. */
export interface RequestsOptions {
  /** Age in ms past which a request counts as stuck (`fastify_requests_stuck`). @defaultValue 5000 */
  slowMs?: number
  /** Most requests tracked at once; the rest are counted only (about 150 bytes each). @defaultValue 10000 */
  max?: number
}

/**
 * The stall catcher: a watchdog thread profiles the main thread while its
 * event loop is stuck, and keeps each stall (`/stalls`).
 */
export interface StallWatchOptions {
  /** How long the loop must go without turning to count as a stall, in ms. @defaultValue 200 */
  thresholdMs?: number
  /** Stalls kept, newest first (each with its profile, tens of KB). @defaultValue 20 */
  keep?: number
}

export interface FastifyPprofOptions {
  /** Where the routes are mounted. @defaultValue '/debug' */
  prefix?: string
  /**
   * Basic auth for every route under the prefix. Without it, only loopback
   * clients (127.0.0.0/8, ::1) with a loopback `Host` are served.
   */
  auth?: PprofAuth
  /**
   * Serve non-loopback clients without auth. The only way to do so; logs a
   * warning at every start. @defaultValue false
   */
  exposeWithoutAuth?: boolean
  /** Throttling of failed logins per client address. @defaultValue { maxFailures: 10, windowMs: 60000, maxAddresses: 10000 } */
  authRateLimit?: AuthRateLimit
  /** Average bytes between heap samples (V8 sampling heap profiler). @defaultValue 524288 */
  heapIntervalBytes?: number
  /** Deepest stack recorded for a heap sample. @defaultValue 64 */
  heapStackDepth?: number
  /** CPU profile sampling rate in Hz; Go uses 100. @defaultValue 100 */
  cpuSamplingHz?: number
  /** Duration of `/profile` when `seconds` is absent, like Go's. @defaultValue 30 */
  defaultProfileSeconds?: number
  /** Largest `seconds` accepted by `/profile` and delta profiles. @defaultValue 300 */
  maxProfileSeconds?: number
  /** How many address-to-function entries `/pprof/symbol` remembers. @defaultValue 100000 */
  symbolTableSize?: number
  /** How often the runtime sampler records a history point, in ms. @defaultValue 1000 */
  statsIntervalMs?: number
  /** How much history `/stats/history` keeps, in seconds (memory is fixed by this). @defaultValue 3600 */
  historySeconds?: number
  /** How often active resources and open descriptors are re-counted, in ms. @defaultValue 5000 */
  costlyStatsIntervalMs?: number
  /** Show the full argv in `/vars` (it can hold secrets). @defaultValue false */
  exposeArgv?: boolean
  /**
   * Serve `/heapsnapshot`. A snapshot stops the event loop for seconds to
   * minutes and holds every string in the heap. @defaultValue false
   */
  heapSnapshot?: boolean
  /**
   * Map frames of compiled code (TypeScript, bundles) back to their sources:
   * `true`, or `{ searchDirs }` to map only files under those directories.
   * @defaultValue false
   */
  sourceMaps?: boolean | { searchDirs: string[] }
  /** The leak watch, on unless `false`. @defaultValue true */
  leakWatch?: boolean | LeakWatchOptions
  /**
   * Serve `/leaks/retainers` (deep mode): `true`, or `{ maxStallSeconds,
   * maxExtraMemoryMB }`. Each call stops the event loop while V8 writes a heap
   * snapshot. @defaultValue false
   */
  retainers?: boolean | RetainersOptions
  /**
   * Track the app's requests in flight for `/requests` (route pattern, method,
   * age, client connected, stage) and `fastify_requests_stuck`: `true`,
   * `{ slowMs, max }`, or `false` to add no hooks. @defaultValue true
   */
  requests?: boolean | RequestsOptions
  /**
   * Catch event-loop stalls as they happen (`/stalls`): `true`, `{ thresholdMs,
   * keep }`, or `false` for no watchdog thread and no hooks. @defaultValue true
   */
  stallWatch?: boolean | StallWatchOptions
}

export interface ResolvedOptions {
  readonly prefix: string
  readonly auth: ResolvedAuth | undefined
  readonly exposeWithoutAuth: boolean
  readonly authRateLimit: Readonly<Required<AuthRateLimit>>
  readonly heapIntervalBytes: number
  readonly heapStackDepth: number
  readonly cpuSamplingHz: number
  readonly defaultProfileSeconds: number
  readonly maxProfileSeconds: number
  readonly symbolTableSize: number
  readonly statsIntervalMs: number
  readonly historySeconds: number
  readonly costlyStatsIntervalMs: number
  readonly exposeArgv: boolean
  readonly heapSnapshot: boolean
  /** false, or where mapping is allowed (undefined: any absolute path). */
  readonly sourceMaps: false | { readonly searchDirs: readonly string[] | undefined }
  readonly leakWatch: false | Readonly<Required<LeakWatchOptions>>
  readonly retainers: false | Readonly<Required<RetainersOptions>>
  readonly requests: false | Readonly<Required<RequestsOptions>>
  readonly stallWatch: false | Readonly<Required<StallWatchOptions>>
}

export const DEFAULTS = Object.freeze({
  prefix: '/debug',
  realm: 'fastify-pprof',
  heapIntervalBytes: 512 * 1024,
  heapStackDepth: 64,
  cpuSamplingHz: 100,
  defaultProfileSeconds: 30,
  maxProfileSeconds: 300,
  symbolTableSize: 100_000,
  statsIntervalMs: 1000,
  historySeconds: 3600,
  costlyStatsIntervalMs: 5000,
  exposeArgv: false,
  exposeWithoutAuth: false,
  heapSnapshot: false,
  sourceMaps: false as const,
  /** Deep mode's limits when it is on (it is off by default). */
  retainers: Object.freeze({ maxStallSeconds: 10, maxExtraMemoryMB: 2048 }),
  requests: Object.freeze({ slowMs: 5000, max: 10_000 }),
  /**
   * on: whether the stall watch runs when the option is absent. Idle, it costs
   * a 50 ms timer and a worker thread that wakes about 7 times a second
   * (measured: about 0.2 % of a core, about 15 MB of RSS for the thread).
   */
  stallWatch: Object.freeze({ on: true, thresholdMs: 200, keep: 20 }),
  authRateLimit: Object.freeze({ maxFailures: 10, windowMs: 60_000, maxAddresses: 10_000 }),
  leakWatch: Object.freeze({
    intervalMs: 300_000,
    /** keep defaults to this much history, in ms, and never fewer than minKeep captures. */
    keepMs: 2 * 3_600_000,
    minKeep: 12,
    dir: join(tmpdir(), `fastify-pprof-${process.getuid?.() ?? 'user'}`),
    nearHeapLimit: 0.9,
    census: true
  })
})

// setTimeout overflows past 2^31-1 ms (about 24.8 days) and then fires at once.
const MAX_SECONDS_LIMIT = 86_400

const PREFIX_PATTERN = /^(\/[A-Za-z0-9._~-]+)+$/
// A realm goes into a quoted header value: no quotes, backslashes or controls.
const REALM_PATTERN = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,128}$/

function resolveRealm (realm: unknown): string {
  if (realm !== undefined && (typeof realm !== 'string' || !REALM_PATTERN.test(realm))) {
    throw new errors.FST_PPROF_INVALID_OPTION('auth.realm', 'must be 1-128 printable ASCII characters without quotes or backslashes')
  }
  return realm ?? DEFAULTS.realm
}

function resolveAuth (auth: unknown): ResolvedOptions['auth'] {
  if (auth === undefined) return undefined
  if (auth === null || typeof auth !== 'object') {
    throw new errors.FST_PPROF_INVALID_OPTION('auth', 'must be an object with username and password, or with validate')
  }
  const { username, password, realm, validate } = auth as Record<string, unknown>
  if (validate !== undefined) {
    if (typeof validate !== 'function') throw new errors.FST_PPROF_INVALID_OPTION('auth.validate', 'must be a function')
    if (username !== undefined || password !== undefined) {
      throw new errors.FST_PPROF_INVALID_OPTION('auth', 'give either username and password, or validate, not both')
    }
    return Object.freeze({ realm: resolveRealm(realm), validate: validate as PprofAuthValidator['validate'] })
  }
  // Fail closed: half-filled credentials must never mean "no auth".
  if (typeof username !== 'string' || username === '' || username.includes(':')) {
    throw new errors.FST_PPROF_INVALID_OPTION('auth.username', 'must be a non-empty string without ":"')
  }
  if (typeof password !== 'string' || password === '') {
    throw new errors.FST_PPROF_INVALID_OPTION('auth.password', 'must be a non-empty string')
  }
  return Object.freeze({ realm: resolveRealm(realm), credentials: Object.freeze({ username, password }) })
}

function resolveSourceMaps (value: unknown): ResolvedOptions['sourceMaps'] {
  if (value === undefined || value === false) return false
  if (value === true) return Object.freeze({ searchDirs: undefined })
  const dirs = (value as { searchDirs?: unknown } | null)?.searchDirs
  if (typeof value !== 'object' || !Array.isArray(dirs) || dirs.length === 0 || !dirs.every((d) => typeof d === 'string' && isAbsolute(d))) {
    throw new errors.FST_PPROF_INVALID_OPTION('sourceMaps', 'must be true, false or { searchDirs: [absolute paths] }')
  }
  return Object.freeze({ searchDirs: Object.freeze([...dirs] as string[]) })
}

function resolveRateLimit (value: unknown): ResolvedOptions['authRateLimit'] {
  if (value === undefined) return DEFAULTS.authRateLimit
  const v = object('authRateLimit', value) as AuthRateLimit
  const d = DEFAULTS.authRateLimit
  return Object.freeze({
    maxFailures: integer('authRateLimit.maxFailures', v.maxFailures, d.maxFailures, 1, 1_000_000),
    windowMs: integer('authRateLimit.windowMs', v.windowMs, d.windowMs, 100, 86_400_000),
    maxAddresses: integer('authRateLimit.maxAddresses', v.maxAddresses, d.maxAddresses, 1, 10_000_000)
  })
}

function resolveLeakWatch (value: unknown): ResolvedOptions['leakWatch'] {
  if (value === false) return false
  const v = value === undefined || value === true ? {} : object('leakWatch', value) as LeakWatchOptions
  const d = DEFAULTS.leakWatch
  const intervalMs = integer('leakWatch.intervalMs', v.intervalMs, d.intervalMs, 100, 86_400_000)
  return Object.freeze({
    intervalMs,
    keep: integer('leakWatch.keep', v.keep, Math.max(d.minKeep, Math.ceil(d.keepMs / intervalMs) + 1), 2, 10_000),
    dir: absolutePath('leakWatch.dir', v.dir, d.dir),
    nearHeapLimit: fraction('leakWatch.nearHeapLimit', v.nearHeapLimit, d.nearHeapLimit),
    census: flag('leakWatch.census', v.census, d.census)
  })
}

function resolveRetainers (value: unknown): ResolvedOptions['retainers'] {
  if (value === undefined || value === false) return false
  const v = value === true ? {} : object('retainers', value) as RetainersOptions
  const d = DEFAULTS.retainers
  return Object.freeze({
    maxStallSeconds: integer('retainers.maxStallSeconds', v.maxStallSeconds, d.maxStallSeconds, 1, 3600),
    maxExtraMemoryMB: integer('retainers.maxExtraMemoryMB', v.maxExtraMemoryMB, d.maxExtraMemoryMB, 1, 1_048_576)
  })
}

function resolveRequests (value: unknown): ResolvedOptions['requests'] {
  if (value === false) return false
  if (value !== undefined && value !== true && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw new errors.FST_PPROF_INVALID_OPTION('requests', 'must be true, false or { slowMs, max }')
  }
  const v = value === undefined || value === true ? {} : value as RequestsOptions
  const d = DEFAULTS.requests
  return Object.freeze({
    slowMs: integer('requests.slowMs', v.slowMs, d.slowMs, 1, 86_400_000),
    max: integer('requests.max', v.max, d.max, 1, 1_000_000)
  })
}

function resolveStallWatch (value: unknown): ResolvedOptions['stallWatch'] {
  const d = DEFAULTS.stallWatch
  if (value === false || (value === undefined && !d.on)) return false
  if (value !== undefined && value !== true && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw new errors.FST_PPROF_INVALID_OPTION('stallWatch', 'must be true, false or { thresholdMs, keep }')
  }
  const v = value === undefined || value === true ? {} : value as StallWatchOptions
  return Object.freeze({
    thresholdMs: integer('stallWatch.thresholdMs', v.thresholdMs, d.thresholdMs, 20, 60_000),
    keep: integer('stallWatch.keep', v.keep, d.keep, 1, 1000)
  })
}

/** Validates user options once, at registration, and fills in every default. */
export function resolveOptions (opts: FastifyPprofOptions = {}): ResolvedOptions {
  let prefix = opts.prefix ?? DEFAULTS.prefix
  if (typeof prefix !== 'string') {
    throw new errors.FST_PPROF_INVALID_OPTION('prefix', 'must be a string such as "/debug"')
  }
  if (prefix.length > 1 && prefix.endsWith('/')) prefix = prefix.slice(0, -1)
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new errors.FST_PPROF_INVALID_OPTION('prefix', 'must be a path such as "/debug", made of /-separated URL-safe segments')
  }
  const maxProfileSeconds = integer('maxProfileSeconds', opts.maxProfileSeconds, DEFAULTS.maxProfileSeconds, 1, MAX_SECONDS_LIMIT)
  const defaultProfileSeconds = integer('defaultProfileSeconds', opts.defaultProfileSeconds,
    Math.min(DEFAULTS.defaultProfileSeconds, maxProfileSeconds), 1, maxProfileSeconds)
  return Object.freeze({
    prefix,
    auth: resolveAuth(opts.auth),
    exposeWithoutAuth: flag('exposeWithoutAuth', opts.exposeWithoutAuth, DEFAULTS.exposeWithoutAuth),
    authRateLimit: resolveRateLimit(opts.authRateLimit),
    heapIntervalBytes: integer('heapIntervalBytes', opts.heapIntervalBytes, DEFAULTS.heapIntervalBytes, 1024, 64 * 1024 * 1024),
    heapStackDepth: integer('heapStackDepth', opts.heapStackDepth, DEFAULTS.heapStackDepth, 1, 1024),
    cpuSamplingHz: integer('cpuSamplingHz', opts.cpuSamplingHz, DEFAULTS.cpuSamplingHz, 1, 10_000),
    defaultProfileSeconds,
    maxProfileSeconds,
    symbolTableSize: integer('symbolTableSize', opts.symbolTableSize, DEFAULTS.symbolTableSize, 0, 10_000_000),
    statsIntervalMs: integer('statsIntervalMs', opts.statsIntervalMs, DEFAULTS.statsIntervalMs, 100, 3_600_000),
    historySeconds: integer('historySeconds', opts.historySeconds, DEFAULTS.historySeconds, 0, 7 * 86_400),
    costlyStatsIntervalMs: integer('costlyStatsIntervalMs', opts.costlyStatsIntervalMs, DEFAULTS.costlyStatsIntervalMs, 100, 3_600_000),
    exposeArgv: flag('exposeArgv', opts.exposeArgv, DEFAULTS.exposeArgv),
    heapSnapshot: flag('heapSnapshot', opts.heapSnapshot, DEFAULTS.heapSnapshot),
    sourceMaps: resolveSourceMaps(opts.sourceMaps),
    leakWatch: resolveLeakWatch(opts.leakWatch),
    retainers: resolveRetainers(opts.retainers),
    requests: resolveRequests(opts.requests),
    stallWatch: resolveStallWatch(opts.stallWatch)
  })
}
