/** One API request as the mock saw it. */
export interface RequestLogEntry {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly status: number
  /** ISO 8601, when the request arrived. */
  readonly time: string
  /** The rate-limit remainings header served. */
  readonly remaining?: number
  /** Which of its secret's limiter windows the request was counted in, from 1; absent when not counted. */
  readonly window?: number
  /** The injected fault, if any: script, rate-limit, error, html, cut, truncate or drift. */
  readonly fault?: string
}

/** The most recent API requests, bounded so a long benchmark does not grow the heap. */
export class RequestLog {
  private entries: Array<RequestLogEntry> = []

  constructor(private readonly capacity: number) {}

  add(entry: RequestLogEntry): void {
    if (this.capacity === 0) return
    if (this.entries.length >= this.capacity) this.entries.shift()
    this.entries.push(entry)
  }

  all(): ReadonlyArray<RequestLogEntry> {
    return [...this.entries]
  }

  clear(): void {
    this.entries = []
  }
}
