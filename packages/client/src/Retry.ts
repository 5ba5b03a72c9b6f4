import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleInterval from "effect/ScheduleInterval"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
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

/** A retry a schedule decided on: which budget it spends, and what is left of it as the warning says it. */
export interface Retrying {
  readonly kind: "transient" | "rate-limit"
  readonly left: string
}

/** Exponential backoff with equal jitter: half to all of a doubling delay, every delay capped by `maxDelay`. */
export const backoff = (policy: RetryPolicy): Schedule.Schedule<Duration.Duration> =>
  Schedule.exponential(policy.baseDelay).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, policy.maxDelay)),
    Schedule.jitteredWith({ min: 0.5, max: 1 })
  )

/**
 * How long a 429 holds the client: what `Retry-After` asked for; else what is left of the window,
 * known from its first answer or from the reset header, whichever ends first; else `fallback` (the
 * backoff). Always capped by `rateLimitMaxWait`.
 */
export const rateLimitDelay = (
  policy: RetryPolicy,
  error: PicaRateLimitError,
  windowLeft: number | undefined,
  fallback: Duration.Duration
): Duration.Duration => {
  const window = [error.resetMillis, windowLeft].filter((millis) => millis !== undefined)
  const asked = error.retryAfterMillis ?? (window.length === 0 ? undefined : Math.min(...window))
  return Duration.min(asked === undefined ? fallback : Duration.millis(asked), policy.rateLimitMaxWait)
}

/** Millis from `now` to the next attempt `decision` schedules; none when it stops. */
const startsIn = (decision: ScheduleDecision.ScheduleDecision, now: number) =>
  ScheduleDecision.isDone(decision) ? 0 : ScheduleIntervals.start(decision.intervals) - now

/** Stops `self` where its next attempt would start past `deadline`; outputs beside its own the millis left until then. */
const startingBy = (deadline: number) => <Out, In, R>(self: Schedule.Schedule<Out, In, R>) =>
  Schedule.makeWithState(self.initial, (now, input: In, state) =>
    Effect.map(self.step(now, input, state), ([next, out, decision]) =>
      [
        next,
        [out, deadline - now] as const,
        now + startsIn(decision, now) > deadline ? ScheduleDecision.done : decision
      ] as const))

const budgetLeft = (millis: number) => millis < 1000 ? "under 1s" : Duration.format(Duration.seconds(Math.floor(millis / 1000)))

/**
 * Transport failures, 408 and 5xx answers: the backoff, at most `maxRetries` times and, with `retryFor`,
 * no retry starting later than that after `start`, the request's first attempt.
 */
export const transient = (policy: RetryPolicy, start: number): Schedule.Schedule<Retrying, PicaError> => {
  const bounded = backoff(policy).pipe(
    Schedule.intersect(Schedule.recurs(policy.maxRetries)),
    Schedule.whileInput((error: PicaError) => isTransient(error))
  )
  if (policy.retryFor === undefined) {
    return Schedule.map(bounded, ([, retries]) => ({ kind: "transient", left: `${policy.maxRetries - retries} retries left` }))
  }
  return bounded.pipe(
    startingBy(start + Duration.toMillis(policy.retryFor)),
    Schedule.map(([, left]) => ({ kind: "transient", left: `${budgetLeft(left)} of the retry budget left` }))
  )
}

/**
 * 429 answers, at most `rateLimitRetries` times: each waits what the answer asks for (`rateLimitDelay`,
 * the backoff when it asks nothing) and holds every request of the client behind `gate` as long.
 */
export const rateLimited = (policy: RetryPolicy, gate: RateGate): Schedule.Schedule<Retrying, PicaRateLimitError> =>
  backoff(policy).pipe(
    Schedule.intersect(Schedule.recurs(policy.rateLimitRetries)),
    Schedule.zipWith(Schedule.identity<PicaRateLimitError>(), ([, retries], error) => ({ retries, error })),
    Schedule.modifyDelayEffect(({ error }, fallback) =>
      Effect.flatMap(gate.windowLeft, (windowLeft) => {
        const delay = rateLimitDelay(policy, error, windowLeft, fallback)
        return Effect.as(gate.close(Duration.toMillis(delay)), delay)
      })),
    Schedule.map(({ retries }): Retrying => ({
      kind: "rate-limit",
      left: `${policy.rateLimitRetries - retries} rate-limit waits left`
    }))
  )

interface ByKind {
  readonly rateLimit: unknown
  readonly other: unknown
  /** Millis rate limits have held the request so far. */
  readonly held: number
}

/**
 * A 429 goes to `rateLimit`, any other failure to `other`, each spending its own budget. The other
 * schedule's clock stops while a 429 holds the request, so rate-limit waits do not spend `retryFor`.
 */
export const byKind = <R1, R2>(
  rateLimit: Schedule.Schedule<Retrying, PicaRateLimitError, R1>,
  other: Schedule.Schedule<Retrying, PicaError, R2>
): Schedule.Schedule<Retrying, PicaError, R1 | R2> =>
  Schedule.makeWithState<ByKind, PicaError, Retrying, R1 | R2>(
    { rateLimit: rateLimit.initial, other: other.initial, held: 0 },
    (now, error, state) =>
      error._tag === "PicaRateLimitError"
        ? Effect.map(rateLimit.step(now, error, state.rateLimit), ([next, out, decision]) =>
          [{ ...state, rateLimit: next, held: state.held + startsIn(decision, now) }, out, decision] as const)
        : Effect.map(other.step(now - state.held, error, state.other), ([next, out, decision]) =>
          [
            { ...state, other: next },
            out,
            ScheduleDecision.isDone(decision)
              ? decision
              : ScheduleDecision.continueWith(ScheduleInterval.after(ScheduleIntervals.start(decision.intervals) + state.held))
          ] as const)
  )

/** Runs `f` each time `self` decides on another attempt, with the failure, its output and the delay before that attempt. */
const onRetry = <In, Out, R2>(f: (input: In, out: Out, delay: Duration.Duration) => Effect.Effect<void, never, R2>) =>
<R>(self: Schedule.Schedule<Out, In, R>): Schedule.Schedule<Out, In, R | R2> =>
  Schedule.makeWithState(self.initial, (now, input: In, state) =>
    Effect.tap(self.step(now, input, state), ([, out, decision]) =>
      ScheduleDecision.isDone(decision) ? Effect.void : f(input, out, Duration.millis(startsIn(decision, now)))))

/** What failed, in a few words: the network's error code read as a person would say it, or the status. */
export const whatFailed = (error: PicaError): string => {
  if (error._tag !== "PicaTransportError") return error.status === undefined ? error._tag : `answered ${error.status}`
  if (/ECONNREFUSED/.test(error.reason)) return "connection refused"
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(error.reason)) return "host not found"
  if (/cut off|ECONNRESET|EPIPE|socket hang up|other side closed/i.test(error.reason)) return "connection cut"
  return error.reason
}

const inSeconds = (millis: number) => `${(millis / 1000).toFixed(1)} s`

/** The log annotation a retry's warning carries: what the client waits out (`connection refused`, `answered 503`). */
export const WAITING = "pica.waiting"

/**
 * One warning per retried request, so a wrong base URL or an outage shows at once rather than after
 * the whole budget: what failed, which attempt, when the next one starts and what is left of the budget.
 */
const announce = (error: PicaError, delay: Duration.Duration, left: string) =>
  Effect.logWarning(
    `${error.method} ${error.url}: ${whatFailed(error)} (attempt ${error.attempts}); next try in ${inSeconds(Duration.toMillis(delay))}, ${left}`
  ).pipe(Effect.annotateLogs(WAITING, whatFailed(error)))

/**
 * The retries of one request first attempted at `start`: a 429 on `rateLimited`, other transient
 * failures on `transient`; each retry warned of, counted and marked on the request's span.
 */
export const schedule = (policy: RetryPolicy, gate: RateGate, start: number): Schedule.Schedule<Retrying, PicaError> =>
  byKind(rateLimited(policy, gate), transient(policy, start)).pipe(
    onRetry((error: PicaError, retrying: Retrying, delay) =>
      announce(error, delay, retrying.left).pipe(
        Effect.zipRight(Effect.annotateCurrentSpan({
          "pica.retry.attempt": error.attempts,
          "pica.retry.kind": retrying.kind,
          "pica.retry.delay_ms": Duration.toMillis(delay)
        })),
        Effect.zipRight(Metric.increment(retryCount))
      ))
  )

/**
 * Runs `attempt(1)`, then retries on `schedule`. `attempt` receives its 1-based number so its error
 * can say how many were made.
 */
export const withRetries = <A>(
  policy: RetryPolicy,
  gate: RateGate,
  attempt: (attempt: number) => Effect.Effect<A, PicaError>
): Effect.Effect<A, PicaError> =>
  Effect.flatMap(Clock.currentTimeMillis, (start) =>
    Effect.flatMap(Schedule.CurrentIterationMetadata, ({ recurrence }) => attempt(recurrence + 1)).pipe(
      Effect.tapError(countRateLimited),
      Effect.retry(schedule(policy, gate, start))
    ))
