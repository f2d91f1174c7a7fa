import type { FastifyReply, FastifyRequest } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import type { PprofContext } from '../context.js'
import { errors } from '../errors.js'
import { acquireHeavy, isLease } from '../profiler/process-guard.js'
import { sendProfile } from './reply.js'

/** Why a heavy operation stopped early. */
export class Interrupted extends Error {
  constructor (readonly by: 'client' | 'shutdown') {
    super(by === 'client' ? 'client disconnected' : 'server is shutting down')
  }
}

/** The process-wide heavy lease for one request, with a signal for its end. */
export interface RequestLease {
  /** Fires when the client goes away or the app closes. */
  readonly signal: AbortSignal
  /** Idempotent: releases the lease and every listener. */
  release (): void
}

/**
 * Takes the heavy lease for this request or throws 409 with Retry-After.
 * The signal fires when the client disconnects or the app starts closing.
 */
export function acquireForRequest (ctx: PprofContext, reply: FastifyReply, kind: string, expectedMs: number): RequestLease {
  const lease = acquireHeavy(kind, expectedMs)
  if (!isLease(lease)) {
    reply.header('retry-after', String(lease.retryAfterSeconds))
    throw new errors.FST_PPROF_BUSY(lease.kind)
  }
  const controller = new AbortController()
  const onClientGone = (): void => {
    if (!reply.raw.writableFinished) controller.abort(new Interrupted('client'))
  }
  const onShutdown = (): void => controller.abort(new Interrupted('shutdown'))
  reply.raw.once('close', onClientGone)
  const shutdown = ctx.shutdownSignal
  shutdown.addEventListener('abort', onShutdown, { once: true })
  if (shutdown.aborted) onShutdown()
  return {
    signal: controller.signal,
    release () {
      lease.release()
      reply.raw.removeListener('close', onClientGone)
      shutdown.removeEventListener('abort', onShutdown)
    }
  }
}

/**
 * Runs `work` holding the heavy lease; the lease and every listener are
 * released on every path (success, error, abort, shutdown).
 */
export async function runHeavy<T> (
  ctx: PprofContext,
  reply: FastifyReply,
  kind: string,
  expectedMs: number,
  work: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  const lease = acquireForRequest(ctx, reply, kind, expectedMs)
  try {
    lease.signal.throwIfAborted()
    return await work(lease.signal)
  } catch (err) {
    const reason: unknown = lease.signal.reason
    throw reason instanceof Interrupted ? reason : err
  } finally {
    lease.release()
  }
}

/** Waits, ending early (and clearing the timer) when the signal fires. */
export async function wait (ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal })
}

/**
 * Runs a heavy operation for a request and sends the profile it makes. An
 * interrupted one is answered here, for every route: nothing to a client
 * that went away, 503 when the app is closing.
 */
export async function sendHeavyProfile (
  ctx: PprofContext,
  request: FastifyRequest,
  reply: FastifyReply,
  kind: string,
  expectedMs: number,
  filename: string,
  work: (signal: AbortSignal) => Promise<Buffer>
): Promise<FastifyReply | undefined> {
  try {
    return sendProfile(reply, filename, await runHeavy(ctx, reply, kind, expectedMs, work))
  } catch (err) {
    if (err instanceof Interrupted) return answerInterrupted(err, request, reply)
    throw err
  }
}

function answerInterrupted (err: Interrupted, request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if (err.by === 'shutdown') throw new errors.FST_PPROF_SHUTTING_DOWN()
  request.log.info({ url: request.url }, 'fastify-pprof: client went away; profile stopped')
  reply.hijack()
  reply.raw.destroy()
  return undefined
}
