/** Where a CSV field needs quotes (RFC 4180). */
const needsQuotes = /[",\r\n]/

const QUOTE = 0x22

/**
 * Output bytes gathered in one buffer as UTF-8, each piece encoded once where it lands: joining a batch's
 * thousands of small strings and encoding the result costs more than making them.
 */
export class Bytes {
  private buffer = Buffer.allocUnsafe(64 * 1024)
  private length = 0

  /** Room for `bytes` more: UTF-8 takes at most three bytes a UTF-16 code unit. */
  private room(bytes: number) {
    if (this.length + bytes <= this.buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes))
    this.buffer.copy(grown, 0, 0, this.length)
    this.buffer = grown
  }

  text(value: string) {
    this.room(value.length * 3)
    this.length += this.buffer.write(value, this.length, "utf8")
  }

  byte(value: number) {
    this.room(1)
    this.buffer[this.length++] = value
  }

  /**
   * A CSV field (RFC 4180): quoted, with its quotes doubled, when it holds a comma, a quote or a line break.
   * The quotes are doubled in the buffer, from the end back, rather than in a new string a field.
   */
  csvField(value: string) {
    if (!needsQuotes.test(value)) return this.text(value)
    this.byte(QUOTE)
    const start = this.length
    this.text(value)
    let quotes = 0
    // A quote's byte is never part of another character's UTF-8 bytes.
    for (let i = start; i < this.length; i++) if (this.buffer[i] === QUOTE) quotes++
    if (quotes > 0) {
      this.room(quotes)
      const buffer = this.buffer
      let to = this.length + quotes - 1
      for (let from = this.length - 1; to > from; from--) {
        const byte = buffer[from]!
        buffer[to--] = byte
        if (byte === QUOTE) buffer[to--] = QUOTE
      }
      this.length += quotes
    }
    this.byte(QUOTE)
  }

  /**
   * The bytes gathered since the last `take`, in the buffer itself: they are good until the next bytes
   * are gathered, so one buffer serves the whole output (one fresh buffer a batch would pile up outside
   * the heap, where the collector sees it late).
   */
  take(): Uint8Array {
    const taken = this.buffer.subarray(0, this.length)
    this.length = 0
    return taken
  }
}
