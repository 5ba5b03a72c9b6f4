import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Random from "effect/Random"
import { isTransient, type PicaError, PicaRateLimitError } from "./PicaError.js"
import type { RateGate } from "./RateLimit.js"

export interface RetryPolicy {
  /** Further attempts after the first, for transient failures other than rate limits. */
  readonly maxRetries: number
  /** No transient retry starts past this long after the first attempt (rate-limit waits extend it). */
  readonly retryFor: Duration.Duration | undefined
  readonly baseDelay: Duration.Duration
  /** Caps every backoff delay. */
  readonly maxDelay: Duration.Duration
  /** Further attempts after a 429, counted apart from `maxRetries`. */
  readonly rateLimitRetries: number
  /** Caps each wait a 429 asks for: the real service asks for its whole 60-second window. */
  readonly rateLimitMaxWait: Duration.Duration
}

/** 429 answers met, retried or not; its change over a sync is that sync's count. */
export const rateLimitedCount = Metric.counter("pica_client_rate_limited", {
  description: "429 answers from the Pica API"
})

/** Attempts made again, after a 429 or a transient failure. */
export const retryCount = Metric.counter("pica_client_retries", {
  description: "Requests to the Pica API attempted again after a 429 or a transient failure"
})

const countRateLimited = (error: PicaError) =>
  error instanceof PicaRateLimitError ? Metric.increment(rateLimitedCount) : Effect.void

/** Exponential backoff with equal jitter before attempt `retry + 1`, capped by `maxDelay`. */
export const backoff = (policy: RetryPolicy, retry: number): Effect.Effect<Duration.Duration> => {
  const ceiling = Math.min(Duration.toMillis(policy.maxDelay), Duration.toMillis(policy.baseDelay) * 2 ** (retry - 1))
  return Effect.map(Random.next, (r) => Duration.millis(ceiling / 2 + (r * ceiling) / 2))
}

/**
 * How long a 429 holds the client: what `Retry-After` asked for; else what is left of the window,
 * known from its first answer or from the reset header, whichever ends first; else the backoff.
 * Always capped by `rateLimitMaxWait`.
 */
export const rateLimitDelay = (
  policy: RetryPolicy,
  error: PicaRateLimitError,
  windowLeft: number | undefined,
  retry: number
): Effect.Effect<Duration.Duration> => {
  const window = [error.resetMillis, windowLeft].filter((millis) => millis !== undefined)
  const asked = error.retryAfterMillis ?? (window.length === 0 ? undefined : Math.min(...window))
  const wait = asked === undefined ? Effect.map(backoff(policy, retry), Duration.toMillis) : Effect.succeed(asked)
  return Effect.map(wait, (millis) => Duration.millis(Math.min(millis, Duration.toMillis(policy.rateLimitMaxWait))))
}

interface Spent {
  readonly retries: number
  readonly rateLimitRetries: number
  /** Epoch millis after which no transient retry starts, when `retryFor` is set. */
  readonly deadline: number | undefined
}

/** What failed, in a few words: the network's error code read as a person would say it, or the status. */
export const whatFailed = (error: PicaError): string => {
  if (error._tag !== "PicaTransportError") return error.status === undefined ? error._tag : `answered ${error.status}`
  if (/ECONNREFUSED/.test(error.reason)) return "connection refused"
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(error.reason)) return "host not found"
  if (/cut off|ECONNRESET|EPIPE|socket hang up|other side closed/i.test(error.reason)) return "connection cut"
  return error.reason
}

const inSeconds = (millis: number) => `${(millis / 1000).toFixed(1)} s`

const budgetLeft = (millis: number) => millis < 1000 ? "under 1s" : Duration.format(Duration.seconds(Math.floor(millis / 1000)))

/** The log annotation a retry's warning carries: what the client waits out (`connection refused`, `answered 503`). */
export const WAITING = "pica.waiting"

/**
 * One warning per retried request, so a wrong base URL or an outage shows at once rather than after
 * the whole budget: what failed, which attempt, when the next one starts and what is left of the budget.
 */
const announce = (error: PicaError, attempt: number, delay: Duration.Duration, left: string) =>
  Effect.logWarning(
    `${error.method} ${error.url}: ${whatFailed(error)} (attempt ${attempt}); next try in ${inSeconds(Duration.toMillis(delay))}, ${left}`
  ).pipe(Effect.annotateLogs(WAITING, whatFailed(error)))

/**
 * Runs `attempt(1)`, then retries: a 429 holds every request of the client behind `gate` for the
 * wait it asks for, within its own budget; other transient failures back off within `maxRetries`
 * and `retryFor`. `attempt` receives its 1-based number so its error can say how many were made.
 */
export const withRetries = <A>(
  policy: RetryPolicy,
  gate: RateGate,
  attempt: (attempt: number) => Effect.Effect<A, PicaError>
): Effect.Effect<A, PicaError> => {
  const again = (n: number, spent: Spent, delay: Duration.Duration, kind: string) =>
    Effect.annotateCurrentSpan({
      "pica.retry.attempt": n,
      "pica.retry.kind": kind,
      "pica.retry.delay_ms": Duration.toMillis(delay)
    }).pipe(Effect.zipRight(Metric.increment(retryCount)), Effect.zipRight(loop(n + 1, spent)))
  const loop = (n: number, spent: Spent): Effect.Effect<A, PicaError> =>
    Effect.catchAll(attempt(n), (error) =>
      Effect.zipRight(countRateLimited(error), Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (error instanceof PicaRateLimitError) {
          if (spent.rateLimitRetries >= policy.rateLimitRetries) return Effect.fail(error)
          return Effect.flatMap(gate.windowLeft, (windowLeft) =>
            Effect.flatMap(rateLimitDelay(policy, error, windowLeft, spent.rateLimitRetries + 1), (delay) => {
              const millis = Duration.toMillis(delay)
              const next = {
                ...spent,
                rateLimitRetries: spent.rateLimitRetries + 1,
                deadline: spent.deadline === undefined ? undefined : spent.deadline + millis
              }
              const left = `${policy.rateLimitRetries - spent.rateLimitRetries} rate-limit waits left`
              return announce(error, n, delay, left).pipe(Effect.zipRight(gate.close(millis)), Effect.zipRight(again(n, next, delay, "rate-limit")))
            }))
        }
        if (!isTransient(error) || spent.retries >= policy.maxRetries) return Effect.fail(error)
        return Effect.flatMap(backoff(policy, spent.retries + 1), (delay) => {
          if (spent.deadline !== undefined && now + Duration.toMillis(delay) > spent.deadline) return Effect.fail(error)
          const left = spent.deadline === undefined
            ? `${policy.maxRetries - spent.retries} retries left`
            : `${budgetLeft(spent.deadline - now)} of the retry budget left`
          return announce(error, n, delay, left).pipe(
            Effect.zipRight(Effect.sleep(delay)),
            Effect.zipRight(again(n, { ...spent, retries: spent.retries + 1 }, delay, "transient"))
          )
        })
      })))
  return Effect.flatMap(Clock.currentTimeMillis, (start) =>
    loop(1, {
      retries: 0,
      rateLimitRetries: 0,
      deadline: policy.retryFor === undefined ? undefined : start + Duration.toMillis(policy.retryFor)
    }))
}
