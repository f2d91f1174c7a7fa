import { errors } from '../errors.js'
import type { MakeHandler } from './handler.js'

/** Go's cmdline can hold secrets: answered as unknown. */
export const cmdlineRefused: MakeHandler = () => async () => { throw new errors.FST_PPROF_UNKNOWN_PROFILE() }

/** A Go execution trace has no Node equivalent. */
export const traceNotImplemented: MakeHandler = () => async () => { throw new errors.FST_PPROF_NOT_IMPLEMENTED('execution traces are a Go runtime feature') }
