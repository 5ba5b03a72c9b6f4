import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import { isTransient, type PicaError } from "./PicaError.js"

export interface RetryPolicy {
  /** Further attempts after the first, for transient failures only. */
  readonly maxRetries: number
  readonly baseDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
}

/**
 * How long to wait before attempt `attempt + 1`: what a 429 asked for when it said,
 * else exponential backoff with equal jitter; always capped by `maxDelay`.
 */
export const retryDelay = (policy: RetryPolicy, error: PicaError, attempt: number): Effect.Effect<Duration.Duration> => {
  const cap = Duration.toMillis(policy.maxDelay)
  if (error._tag === "PicaRateLimitError" && error.retryAfterMillis !== undefined) {
    return Effect.succeed(Duration.millis(Math.min(cap, error.retryAfterMillis)))
  }
  const ceiling = Math.min(cap, Duration.toMillis(policy.baseDelay) * 2 ** (attempt - 1))
  return Effect.map(Random.next, (r) => Duration.millis(ceiling / 2 + (r * ceiling) / 2))
}

/**
 * Runs `attempt(1)`, then retries transient failures within the policy's budget.
 * `attempt` receives its 1-based number so the error it fails with can say how many were made.
 */
export const withRetries = <A>(
  policy: RetryPolicy,
  attempt: (attempt: number) => Effect.Effect<A, PicaError>
): Effect.Effect<A, PicaError> => {
  const loop = (n: number): Effect.Effect<A, PicaError> =>
    Effect.catchAll(attempt(n), (error) =>
      isTransient(error) && n <= policy.maxRetries
        ? Effect.flatMap(retryDelay(policy, error, n), (delay) =>
          Effect.zipRight(
            Effect.annotateCurrentSpan({ "pica.retry.attempt": n, "pica.retry.delay_ms": Duration.toMillis(delay) }),
            Effect.zipRight(Effect.sleep(delay), loop(n + 1))
          ))
        : Effect.fail(error))
  return loop(1)
}

/**
 * Milliseconds a 429 asks the client to wait: `Retry-After` (seconds or an HTTP date) when
 * present, else the rate-limit reset header (seconds, or an epoch time in seconds).
 */
export const rateLimitWait = (
  headers: Readonly<Record<string, string | undefined>>,
  now: number
): number | undefined => {
  const retryAfter = headers["retry-after"]?.trim()
  if (retryAfter !== undefined && retryAfter !== "") {
    const seconds = Number(retryAfter)
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
    const date = Date.parse(retryAfter)
    if (Number.isFinite(date)) return Math.max(0, date - now)
  }
  const reset = Number(headers["x-pica-rate-limit-reset"])
  if (headers["x-pica-rate-limit-reset"] === undefined || !Number.isFinite(reset)) return undefined
  // A value this large is a Unix time, not a number of seconds.
  return Math.max(0, reset > 1_000_000_000 ? reset * 1000 - now : reset * 1000)
}
