import { isAbsolute } from 'node:path'
import { errors } from './errors.js'

/** The checks every option goes through, each a registration error naming the option. */

export function integer (name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new errors.FST_PPROF_INVALID_OPTION(name, `must be an integer from ${min} to ${max}`)
  }
  return value
}

export function flag (name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new errors.FST_PPROF_INVALID_OPTION(name, 'must be a boolean')
  return value
}

/** A number strictly between 0 and 1. */
export function fraction (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value > 0 && value < 1)) throw new errors.FST_PPROF_INVALID_OPTION(name, 'must be a number between 0 and 1')
  return value
}

export function absolutePath (name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !isAbsolute(value)) throw new errors.FST_PPROF_INVALID_OPTION(name, 'must be an absolute path')
  return value
}

export function object (name: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new errors.FST_PPROF_INVALID_OPTION(name, 'must be an object')
  return value as Record<string, unknown>
}
