import { Schema } from "effect"
import type * as RateLimitHeaders from "./RateLimitHeaders.js"

/**
 * The real service's limiter: at most `limit` requests per fixed window of
 * `windowMs`, per secret. `retryAfter` (default false: the real service sends
 * none) adds `Retry-After` to its 429s.
 */
export const Limiter = Schema.Struct({
  limit: Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)),
  windowMs: Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)),
  retryAfter: Schema.optional(Schema.Boolean)
})
export type Limiter = typeof Limiter.Type

/** 500 requests a minute, as the real service's default. */
export const defaultLimiter: Limiter = { limit: 500, windowMs: 60_000 }

/** A limiter, or `null` for none. */
export const decode = Schema.decodeUnknownEither(Schema.NullOr(Limiter), { onExcessProperty: "error" })

/** One request the limiter counted. */
export interface Count {
  readonly status: RateLimitHeaders.Status
  /** More than `limit` requests in this window: answer 429. */
  readonly limited: boolean
  /** Which of this secret's windows it fell in, from 1. */
  readonly window: number
  /** Whole seconds until the window turns (at least 1), when the limiter sends `Retry-After`. */
  readonly retryAfter: number | undefined
}

interface Window {
  start: number
  used: number
  number: number
}

/** Fixed windows per secret: one starts at the first request after the previous one ended. */
export class FixedWindows {
  private readonly windows = new Map<string, Window>()

  constructor(private config: Limiter | null) {}

  get current(): Limiter | null {
    return this.config
  }

  /** Replaces the limiter; every secret starts afresh, its windows numbered from 1 again. */
  set(config: Limiter | null): void {
    this.config = config
    this.windows.clear()
  }

  /** Counts one request of `secret`; `undefined` when the limiter is off. */
  count(secret: string, now: number): Count | undefined {
    const config = this.config
    if (config === null) return undefined
    const window = this.open(secret, now, config)
    window.used++
    const limited = window.used > config.limit
    return {
      status: statusOf(config, window.used),
      limited,
      window: window.number,
      retryAfter: limited && config.retryAfter === true
        ? Math.max(1, Math.ceil((window.start + config.windowMs - now) / 1000))
        : undefined
    }
  }

  /** What the headers say for `secret` without counting a request; `undefined` when off. */
  peek(secret: string, now: number): RateLimitHeaders.Status | undefined {
    const config = this.config
    if (config === null) return undefined
    const window = this.windows.get(secret)
    return statusOf(config, window === undefined || ended(window, now, config) ? 0 : window.used)
  }

  private open(secret: string, now: number, config: Limiter): Window {
    const window = this.windows.get(secret)
    if (window === undefined) {
      const first = { start: now, used: 0, number: 1 }
      this.windows.set(secret, first)
      return first
    }
    if (ended(window, now, config)) {
      window.start = now
      window.used = 0
      window.number++
    }
    return window
  }

}

const ended = (window: Window, now: number, config: Limiter): boolean => now >= window.start + config.windowMs

const statusOf = (config: Limiter, used: number): RateLimitHeaders.Status => ({
  limit: config.limit,
  remaining: Math.max(0, config.limit - used),
  reset: config.windowMs / 1000
})
