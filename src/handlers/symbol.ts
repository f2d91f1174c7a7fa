import type { FastifyRequest } from 'fastify'
import { sendText } from '../http/reply.js'
import type { MakeHandler } from './handler.js'

// Go parses with strconv.ParseUint(word, 0, 64): 0x hex, 0o/0 octal, 0b binary, decimal.
function parseAddress (word: string): number | undefined {
  const w = word.trim().toLowerCase()
  let digits = w
  let radix = 10
  if (/^0x[0-9a-f]+$/.test(w)) { digits = w.slice(2); radix = 16 } else if (/^0b[01]+$/.test(w)) { digits = w.slice(2); radix = 2 } else if (/^0o[0-7]+$/.test(w)) { digits = w.slice(2); radix = 8 } else if (/^0[0-7]+$/.test(w)) { digits = w.slice(1); radix = 8 } else if (!/^[0-9]+$/.test(w)) return undefined
  if (digits.length > 16) return undefined
  const n = parseInt(digits, radix)
  return Number.isSafeInteger(n) ? n : undefined
}

function addressesOf (request: FastifyRequest): string {
  if (request.method === 'POST') return typeof request.body === 'string' ? request.body : ''
  const q = request.url.indexOf('?')
  return q === -1 ? '' : request.url.slice(q + 1)
}

/**
 * Go's /debug/pprof/symbol (GET and POST): "num_symbols: 1", then one
 * "0xADDR name" line per address we can name; unknown addresses are left
 * out, as Go does.
 */
export const symbol: MakeHandler = (ctx) => async (request, reply) => {
  const lines = ['num_symbols: 1']
  for (const word of addressesOf(request).split('+')) {
    const address = parseAddress(word)
    if (address === undefined) continue
    const name = ctx.symbols.lookup(address)
    if (name !== undefined) lines.push(`0x${address.toString(16)} ${name}`)
  }
  return sendText(reply, lines.join('\n') + '\n')
}
