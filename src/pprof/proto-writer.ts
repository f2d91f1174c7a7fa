const TWO_32 = 0x1_0000_0000
const WIRE_VARINT = 0
const WIRE_LENGTH = 2

/**
 * An append-only protocol buffers writer over one growing Buffer: varints,
 * strings and nested messages, with no object per field or per message.
 *
 * Not pprof-format's encoder: its object per location, sample and string
 * made young-generation GC most of a big heap profile's cost (bench/README.md).
 *
 * Numbers are JS numbers: exact up to 2^53, which covers ids, addresses,
 * lines and sample values; larger ones (time_nanos) are written from their
 * double value, as pprof-format does.
 */
export class ProtoWriter {
  #buf: Buffer
  #pos = 0

  constructor (initialBytes = 64 * 1024) {
    this.#buf = Buffer.allocUnsafe(Math.max(16, initialBytes))
  }

  get length (): number {
    return this.#pos
  }

  /** The bytes written so far (a view, not a copy). */
  bytes (): Buffer {
    return this.#buf.subarray(0, this.#pos)
  }

  /** A varint field; zero is the default and is not written (proto3). */
  uint (field: number, value: number): void {
    if (value === 0) return
    this.#tag(field, WIRE_VARINT)
    this.#varint(value)
  }

  /** A bool field, written only when true. */
  bool (field: number, value: boolean): void {
    if (value) this.uint(field, 1)
  }

  /** A string field, written even when empty (for repeated string_table). */
  string (field: number, value: string): void {
    this.#tag(field, WIRE_LENGTH)
    const bytes = Buffer.byteLength(value, 'utf8')
    this.#varint(bytes)
    this.#ensure(bytes)
    this.#pos += this.#buf.write(value, this.#pos, bytes, 'utf8')
  }

  /** A packed repeated int64 field; negative values as two's complement, like Go. */
  packed (field: number, values: readonly number[]): void {
    if (values.length === 0) return
    const start = this.begin(field)
    for (const v of values) this.#varint(v)
    this.end(start)
  }

  /**
   * Starts a length-delimited nested message; end() writes its length. One
   * byte is reserved for the length, enough for most messages; a longer one
   * is moved up to make room.
   */
  begin (field: number): number {
    this.#tag(field, WIRE_LENGTH)
    this.#ensure(1)
    return this.#pos++
  }

  end (start: number): void {
    const length = this.#pos - start - 1
    if (length < 0x80) {
      this.#buf[start] = length
      return
    }
    const extra = varintSize(length) - 1
    this.#ensure(extra)
    this.#buf.copyWithin(start + 1 + extra, start + 1, this.#pos)
    this.#pos += extra
    const end = this.#pos
    this.#pos = start
    this.#varint(length)
    this.#pos = end
  }

  #tag (field: number, wire: number): void {
    this.#varint(field * 8 + wire)
  }

  #varint (value: number): void {
    this.#ensure(10)
    const buf = this.#buf
    if (value >= 0 && value < TWO_32) {
      let v = value >>> 0
      while (v > 0x7f) {
        buf[this.#pos++] = (v & 0x7f) | 0x80
        v >>>= 7
      }
      buf[this.#pos++] = v
      return
    }
    let lo: number
    let hi: number
    if (value >= 0) {
      lo = value % TWO_32 >>> 0
      hi = Math.floor(value / TWO_32) >>> 0
    } else {
      // Two's complement of |value| over 64 bits.
      const magnitude = -value
      lo = ~(magnitude % TWO_32) >>> 0
      hi = ~Math.floor(magnitude / TWO_32) >>> 0
      lo = (lo + 1) >>> 0
      if (lo === 0) hi = (hi + 1) >>> 0
    }
    while (hi !== 0) {
      buf[this.#pos++] = (lo & 0x7f) | 0x80
      lo = ((lo >>> 7) | (hi << 25)) >>> 0
      hi >>>= 7
    }
    while (lo > 0x7f) {
      buf[this.#pos++] = (lo & 0x7f) | 0x80
      lo >>>= 7
    }
    buf[this.#pos++] = lo
  }

  #ensure (bytes: number): void {
    const need = this.#pos + bytes
    if (need <= this.#buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(need, this.#buf.length * 2))
    this.#buf.copy(grown, 0, 0, this.#pos)
    this.#buf = grown
  }
}

function varintSize (n: number): number {
  let size = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    size++
  }
  return size
}
