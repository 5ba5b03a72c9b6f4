import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import * as TestClock from "effect/TestClock"
import { type PicaError, PicaNotFoundError, PicaRateLimitError, PicaServerError } from "../src/PicaError.js"
import { makeGate, resetMillis, retryAfter } from "../src/RateLimit.js"
import {
  backoff,
  rateLimitDelay,
  rateLimited,
  rateLimitedCount,
  retryCount,
  type RetryPolicy,
  transient,
  withRetries
} from "../src/Retry.js"

const policy: RetryPolicy = {
  maxRetries: 3,
  retryFor: undefined,
  baseDelay: Duration.millis(100),
  maxDelay: Duration.seconds(2),
  rateLimitRetries: 2,
  rateLimitMaxWait: Duration.seconds(65)
}
const request = { method: "GET", url: "http://127.0.0.1:1/v1/vault/connections" }

/** Counts attempts and fails each with `error(attempt)`. */
const failing = (error: (attempt: number) => PicaError, over: RetryPolicy = policy) =>
  Effect.gen(function*() {
    const count = yield* Ref.make(0)
    const gate = yield* makeGate
    const run = withRetries(over, gate, (attempt) =>
      gate.enter.pipe(Effect.zipRight(Ref.update(count, (n) => n + 1)), Effect.zipRight(Effect.fail(error(attempt)))))
    return { count, run }
  })

/**
 * The delays `schedule` decides on for `failures` in turn, until it stops, the first failing at `start`
 * and each next one as soon as its attempt starts.
 */
const delaysFor = <In, R>(schedule: Schedule.Schedule<unknown, In, R>, failures: ReadonlyArray<In>, start = 0) =>
  Effect.gen(function*() {
    let state = schedule.initial
    let now = start
    const delays: Array<number> = []
    for (const failure of failures) {
      const [next, , decision] = yield* schedule.step(now, failure, state)
      if (ScheduleDecision.isDone(decision)) break
      const delay = ScheduleIntervals.start(decision.intervals) - now
      delays.push(delay)
      state = next
      now += delay
    }
    return delays
  })

const serverError = (attempts: number) => new PicaServerError({ ...request, status: 503, attempts })

describe("Retry", () => {
  it("reads Retry-After in seconds, as an HTTP date, then the reset header under either prefix", () => {
    const now = Date.parse("2026-01-01T00:00:00Z")
    assert.strictEqual(retryAfter({ "retry-after": "3" }, now), 3000)
    assert.strictEqual(retryAfter({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }, now), 5000)
    assert.isUndefined(retryAfter({ "retry-after": "soon" }, now))
    assert.strictEqual(resetMillis({ "x-pica-rate-limit-reset": "4" }, now), 4000)
    assert.strictEqual(resetMillis({ "x-one-rate-limit-reset": "60" }, now), 60_000)
    assert.strictEqual(resetMillis({ "x-pica-rate-limit-reset": String(now / 1000 + 6) }, now), 6000)
    assert.isUndefined(retryAfter({}, now) ?? resetMillis({}, now))
  })

  it("a 429 waits the whole window the server asks for, past the backoff cap, up to its own cap", () => {
    const fallback = Duration.millis(100)
    const error = new PicaRateLimitError({ ...request, status: 429, attempts: 1, resetMillis: 60_000 })
    assert.strictEqual(Duration.toMillis(rateLimitDelay(policy, error, undefined, fallback)), 60_000)
    // The window's first answer came 48 s ago: it turns in 12 s at the latest.
    assert.strictEqual(Duration.toMillis(rateLimitDelay(policy, error, 12_000, fallback)), 12_000)
    const proxy = new PicaRateLimitError({ ...request, status: 429, attempts: 1, retryAfterMillis: 30_000, resetMillis: 60_000 })
    assert.strictEqual(Duration.toMillis(rateLimitDelay(policy, proxy, 12_000, fallback)), 30_000)
    const longer = new PicaRateLimitError({ ...request, status: 429, attempts: 1, retryAfterMillis: 600_000 })
    assert.strictEqual(Duration.toMillis(rateLimitDelay(policy, longer, undefined, fallback)), 65_000)
    const silent = new PicaRateLimitError({ ...request, status: 429, attempts: 1 })
    assert.strictEqual(Duration.toMillis(rateLimitDelay(policy, silent, undefined, fallback)), 100, "asking nothing, it backs off")
  })

  it.effect("backs off exponentially with jitter, under the cap", () =>
    Effect.gen(function*() {
      const ceilings = [100, 200, 400, 800, 1600, 2000, 2000]
      const delays = yield* delaysFor(backoff(policy), ceilings)
      assert.strictEqual(delays.length, ceilings.length)
      delays.forEach((delay, i) => assert.isTrue(delay >= ceilings[i]! / 2 && delay <= ceilings[i]!, `retry ${i + 1}: ${delay}`))
    }))

  it.effect("the transient schedule stops at maxRetries, and at once on what is not transient", () =>
    Effect.gen(function*() {
      const failures = Array.from({ length: 10 }, (_, i) => serverError(i + 1))
      assert.strictEqual((yield* delaysFor(transient(policy, 0), failures)).length, 3)
      const missing = new PicaNotFoundError({ ...request, status: 404, attempts: 1 })
      assert.deepStrictEqual(yield* delaysFor(transient(policy, 0), [missing]), [])
    }))

  it.effect("the transient schedule starts no retry past retryFor after the first attempt", () =>
    Effect.gen(function*() {
      // The first attempt started at 0 and failed at 100; the retries wait 50..100 then 100..200 ms.
      const failures = [serverError(1), serverError(2), serverError(3)]
      const within = (millis: number) => transient({ ...policy, maxRetries: 1_000, retryFor: Duration.millis(millis) }, 0)
      assert.strictEqual((yield* delaysFor(within(149), failures, 100)).length, 0, "the first would start past 149")
      assert.strictEqual((yield* delaysFor(within(200), failures, 100)).length, 1, "the second would start past 200")
      assert.strictEqual((yield* delaysFor(within(400), failures, 100)).length, 2)
    }))

  it.effect("the rate-limit schedule waits what each 429 asks for, and holds the gate as long", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const asking = (attempts: number, retryAfterMillis: number) =>
        new PicaRateLimitError({ ...request, status: 429, attempts, retryAfterMillis })
      const driver = yield* Schedule.driver(Schedule.delays(rateLimited(policy, gate)))
      const fiber = yield* Effect.fork(driver.next(asking(1, 3_000)))
      yield* TestClock.adjust(Duration.millis(1))
      assert.strictEqual(yield* gate.windowLeft, 2_999, "every request of the client waits with it")
      yield* TestClock.adjust(Duration.seconds(3))
      assert.strictEqual(Duration.toMillis(yield* Fiber.join(fiber)), 3_000)
      assert.deepStrictEqual(yield* delaysFor(rateLimited(policy, gate), [asking(1, 7_000), asking(2, 0), asking(3, 5_000)]), [7_000, 0])
    }))

  it.effect("the waits a 429 asks for are the waits between attempts", () =>
    Effect.gen(function*() {
      const gate = yield* makeGate
      const started: Array<number> = []
      const asked = [3_000, 7_000]
      const run = withRetries(policy, gate, (attempt) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          started.push(now)
          const retryAfterMillis = asked[attempt - 1]
          return retryAfterMillis === undefined
            ? Effect.succeed("answered")
            : Effect.fail(new PicaRateLimitError({ ...request, status: 429, attempts: attempt, retryAfterMillis }))
        }))
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust(Duration.minutes(1))
      assert.strictEqual(yield* Fiber.join(fiber), "answered")
      assert.deepStrictEqual(started, [0, 3_000, 10_000])
    }))

  it.effect("a 429's wait does not spend retryFor", () =>
    Effect.gen(function*() {
      const { count, run } = yield* failing(
        (attempts) =>
          attempts === 1
            ? new PicaRateLimitError({ ...request, status: 429, attempts, retryAfterMillis: 60_000 })
            : serverError(attempts),
        { ...policy, maxRetries: 1_000, maxDelay: Duration.millis(100), retryFor: Duration.seconds(1) }
      )
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust(Duration.minutes(5))
      yield* Fiber.await(fiber)
      // After the 60 s wait, 50..100 ms backoffs within the second of budget: at least ten.
      assert.isAtLeast(yield* Ref.get(count), 12)
    }))

  it.effect("stops after maxRetries further attempts and reports how many were made", () =>
    Effect.gen(function*() {
      const { count, run } = yield* failing((attempts) => new PicaServerError({ ...request, status: 503, attempts }))
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust(Duration.minutes(1))
      const exit = yield* Fiber.await(fiber)
      assert.strictEqual(yield* Ref.get(count), 4)
      assert.deepStrictEqual(exit, Exit.fail(new PicaServerError({ ...request, status: 503, attempts: 4 })))
    }))

  it.effect("retryFor bounds transient retries in time: no retry starts past it", () =>
    Effect.gen(function*() {
      const { count, run } = yield* failing(
        (attempts) => new PicaServerError({ ...request, status: 503, attempts }),
        { ...policy, maxRetries: 1_000, maxDelay: Duration.seconds(20), retryFor: Duration.minutes(2) }
      )
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust(Duration.minutes(10))
      const exit = yield* Fiber.await(fiber)
      const attempts = yield* Ref.get(count)
      assert.isTrue(Exit.isFailure(exit))
      // 50..100 ms doubling to 20 s: at least ten attempts fit in two minutes, and never more than two minutes' worth.
      assert.isTrue(attempts >= 10 && attempts <= 20, `${attempts} attempts`)
    }))

  it.effect("a 429 holds the next attempt for its wait and spends its own budget, not maxRetries", () =>
    Effect.gen(function*() {
      const { count, run } = yield* failing(
        (attempts) => new PicaRateLimitError({ ...request, status: 429, attempts, retryAfterMillis: 60_000 }),
        { ...policy, maxRetries: 0 }
      )
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust(Duration.millis(59_999))
      assert.strictEqual(yield* Ref.get(count), 1)
      yield* TestClock.adjust(Duration.millis(1))
      assert.strictEqual(yield* Ref.get(count), 2)
      yield* TestClock.adjust(Duration.minutes(1))
      const exit = yield* Fiber.await(fiber)
      assert.strictEqual(yield* Ref.get(count), 3)
      assert.deepStrictEqual(
        exit,
        Exit.fail(new PicaRateLimitError({ ...request, status: 429, attempts: 3, retryAfterMillis: 60_000 }))
      )
    }))

  it.effect("counts every 429 and every retry in the client's metrics, a 429 it gives up on too", () =>
    Effect.gen(function*() {
      const counts = Effect.all([Metric.value(rateLimitedCount), Metric.value(retryCount)]).pipe(
        Effect.map(([rateLimited, retries]) => ({ rateLimited: rateLimited.count, retries: retries.count }))
      )
      const before = yield* counts
      const gate = yield* makeGate
      // Two 429s, a 503, then an answer: three retries.
      const answered = withRetries(policy, gate, (attempt) =>
        attempt <= 2
          ? Effect.fail(new PicaRateLimitError({ ...request, status: 429, attempts: attempt, retryAfterMillis: 0 }))
          : attempt === 3
          ? Effect.fail(new PicaServerError({ ...request, status: 503, attempts: attempt }))
          : Effect.succeed("answered"))
      const fiber = yield* Effect.fork(answered)
      yield* TestClock.adjust(Duration.minutes(1))
      assert.strictEqual(yield* Fiber.join(fiber), "answered")
      const { run } = yield* failing(
        (attempts) => new PicaRateLimitError({ ...request, status: 429, attempts, retryAfterMillis: 0 }),
        { ...policy, rateLimitRetries: 0 }
      )
      yield* Effect.flip(run)
      const after = yield* counts
      assert.deepStrictEqual({ rateLimited: after.rateLimited - before.rateLimited, retries: after.retries - before.retries }, {
        rateLimited: 3,
        retries: 3
      })
    }))

  it.effect("never retries what is not transient", () =>
    Effect.gen(function*() {
      const { count, run } = yield* failing((attempts) => new PicaNotFoundError({ ...request, status: 404, attempts }))
      yield* Effect.flip(run)
      assert.strictEqual(yield* Ref.get(count), 1)
    }))
})
