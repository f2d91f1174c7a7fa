import { createError } from '@fastify/error'

/**
 * Every error this plugin raises, in one place. Codes are part of the public
 * API (listed in the README). Messages follow Go's net/http/pprof wording
 * where Go has one, so `go tool pprof` users read what they already know.
 */
export const errors = {
  /** Registration: an option has a wrong type or value. */
  FST_PPROF_INVALID_OPTION: createError<[string, string]>(
    'FST_PPROF_INVALID_OPTION', 'invalid option "%s": %s', 500, TypeError),
  /** A query parameter failed strict validation. */
  FST_PPROF_INVALID_PARAM: createError<[string, string]>(
    'FST_PPROF_INVALID_PARAM', 'invalid value for "%s" - %s', 400),
  /** `seconds` and `debug` together, as Go refuses them. */
  FST_PPROF_INCOMPATIBLE_PARAMS: createError(
    'FST_PPROF_INCOMPATIBLE_PARAMS', 'seconds and debug params are incompatible', 400),
  /** The profile would outlive the server's connection timeout (Go #18755). */
  FST_PPROF_EXCEEDS_TIMEOUT: createError<[number, number]>(
    'FST_PPROF_EXCEEDS_TIMEOUT', "profile duration exceeds server's WriteTimeout (seconds=%s, connectionTimeout=%sms)", 400),
  /** Not a profile this plugin knows. */
  FST_PPROF_UNKNOWN_PROFILE: createError(
    'FST_PPROF_UNKNOWN_PROFILE', 'Unknown profile', 404),
  /** The client is not allowed to use the debug routes at all. */
  FST_PPROF_FORBIDDEN: createError<[string]>(
    'FST_PPROF_FORBIDDEN', 'forbidden: %s', 403),
  /** Too many failed logins from this address; Retry-After says when to try again. */
  FST_PPROF_TOO_MANY_FAILURES: createError(
    'FST_PPROF_TOO_MANY_FAILURES', 'too many failed authentication attempts; retry later', 429),
  /** Another heavy operation (CPU profile, heap delta) holds the process-wide profiler. */
  FST_PPROF_BUSY: createError<[string]>(
    'FST_PPROF_BUSY', 'Could not enable profiling: %s already in use', 409),
  /** The app is closing; the running profile was stopped. */
  FST_PPROF_SHUTTING_DOWN: createError(
    'FST_PPROF_SHUTTING_DOWN', 'server is shutting down; profile stopped', 503),
  /** A Go endpoint with no Node equivalent. */
  FST_PPROF_NOT_IMPLEMENTED: createError<[string]>(
    'FST_PPROF_NOT_IMPLEMENTED', '%s; Node has none', 501),
  /** A heap snapshot would not fit in the memory left. */
  FST_PPROF_INSUFFICIENT_MEMORY: createError<[number, number]>(
    'FST_PPROF_INSUFFICIENT_MEMORY', 'not enough memory for a heap snapshot: needs about %s MB, %s MB available', 503),
  /** Deep mode's estimate exceeds the limits of the retainers option; the message gives the estimate. */
  FST_PPROF_RETAINERS_REFUSED: createError<[string]>(
    'FST_PPROF_RETAINERS_REFUSED', 'retainer analysis refused: %s', 409),
  /** `?since=` before the leak watch took its first capture. */
  FST_PPROF_NO_CAPTURE: createError<[number]>(
    'FST_PPROF_NO_CAPTURE', 'the leak watch has no heap capture yet; the first is due in about %s s', 503),
  /** The V8 profiler failed or is not available. */
  FST_PPROF_PROFILER_FAILED: createError<[string]>(
    'FST_PPROF_PROFILER_FAILED', 'failed to collect profile: %s', 500)
} as const

export type PprofErrorCode = keyof typeof errors
