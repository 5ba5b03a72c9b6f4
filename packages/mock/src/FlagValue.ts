import { Either } from "effect"
import type * as Faults from "./Faults.js"
import type * as Limiter from "./Limiter.js"
import * as PageCap from "./PageCap.js"
import * as RateLimitHeaders from "./RateLimitHeaders.js"

/** What each parser of a mock CLI flag answers: the flag's value, or a message naming the flag when it does not parse. */
export type Parsed<A> = Either.Either<A, string>

export const integer = (flag: string, min: number, max = Number.MAX_SAFE_INTEGER) => (value: string): Parsed<number> => {
  const parsed = Number(value)
  if (/^\d+$/.test(value) && parsed >= min && parsed <= max) return Either.right(parsed)
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`
  return Either.left(`--${flag} expects an integer ${range}, got "${value}"`)
}

export const share = (flag: string) => (value: string): Parsed<number> => {
  const parsed = Number(value)
  return value.trim() !== "" && parsed >= 0 && parsed <= 1
    ? Either.right(parsed)
    : Either.left(`--${flag} expects a share between 0 and 1, got "${value}"`)
}

export const latency = (value: string): Parsed<Faults.Latency> => {
  const range = /^(\d+)\.\.(\d+)$/.exec(value)
  if (range === null) return integer("latency", 0)(value)
  const [min, max] = [Number(range[1]), Number(range[2])]
  return min > max ? Either.left(`--latency range ${value} has min above max`) : Either.right({ min, max })
}

const allowedStatuses = [500, 502, 503, 504] as const

export const failStatuses = (value: string): Parsed<Faults.ServerErrors["statuses"]> => {
  const statuses = value.split(",").map((item) => Number(item.trim()))
  const valid = statuses.filter((status): status is (typeof allowedStatuses)[number] =>
    (allowedStatuses as ReadonlyArray<number>).includes(status)
  )
  const [first, ...rest] = valid
  return first === undefined || valid.length !== statuses.length
    ? Either.left(`--fail-status expects a list among 500,502,503,504, got "${value}"`)
    : Either.right([first, ...rest])
}

export const rateLimit = (value: string): Parsed<Omit<Faults.RateLimit, "retryAfter">> => {
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(value)
  return match === null || Number(match[1]) < 1 || Number(match[2]) <= 0
    ? Either.left(`--rate-limit expects capacity/refill-per-second such as 50/10, got "${value}"`)
    : Either.right({ capacity: Number(match[1]), refillPerSecond: Number(match[2]) })
}

const windowUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 }

export const limiterSpec = (value: string): Parsed<Limiter.Limiter> => {
  const match = /^(\d+)\/(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value)
  const unit = match === null ? undefined : windowUnits[match[3] ?? ""]
  if (match !== null && unit !== undefined) {
    const limit = Number(match[1])
    const exactMs = Number(match[2]) * unit
    // Rounds away float noise (1.1 * 1000), not a fraction of a millisecond.
    const windowMs = Math.round(exactMs)
    const whole = Math.abs(exactMs - windowMs) < 1e-6 && Number.isSafeInteger(windowMs)
    if (Number.isSafeInteger(limit) && limit >= 1 && whole && windowMs >= 1) return Either.right({ limit, windowMs })
  }
  return Either.left(`--limiter expects limit/window such as 500/60s or 50/500ms, got "${value}"`)
}

export const headerPrefix = (value: string): Parsed<string> => {
  const prefix = value.toLowerCase()
  return RateLimitHeaders.validPrefix(prefix)
    ? Either.right(prefix)
    : Either.left(`--rate-limit-prefix expects letters, digits and dashes such as x-one-, got "${value}"`)
}

const driftFields = ["after", "insert", "delete", "update"]

export const drift = (value: string): Parsed<Faults.Drift> =>
  Either.gen(function*() {
    const fields: Record<string, number> = {}
    for (const part of value.split(",")) {
      const [name = "", count] = part.split("=")
      if (!driftFields.includes(name) || count === undefined) {
        return yield* Either.left(`--drift expects after=P,insert=K,delete=K,update=K, got "${value}"`)
      }
      fields[name] = yield* integer("drift", name === "after" ? 1 : 0)(count)
    }
    const { after, ...counts } = fields
    if (after === undefined) return yield* Either.left(`--drift needs after=P, got "${value}"`)
    return { afterPage: after, ...counts }
  })

export const text = (value: string): Parsed<string> => Either.right(value)

export const limitCap = (value: string): Parsed<number | null> =>
  value === "none" ? Either.right(null) : integer("limit-cap", 1)(value)

export const overCap = (value: string): Parsed<PageCap.OverCap> => {
  const mode = PageCap.overCapModes.find((candidate) => candidate === value)
  return mode === undefined
    ? Either.left(`--over-cap expects one of ${PageCap.overCapModes.join(", ")}, got "${value}"`)
    : Either.right(mode)
}
