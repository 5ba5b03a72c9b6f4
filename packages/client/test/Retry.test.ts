import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import { type PicaError, PicaNotFoundError, PicaRateLimitError, PicaServerError } from "../src/PicaError.js"
import { makeGate, resetMillis, retryAfter } from "../src/RateLimit.js"
import { backoff, rateLimitDelay, rateLimitedCount, retryCount, type RetryPolicy, withRetries } from "../src/Retry.js"

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

  it.effect("a 429 waits the whole window the server asks for, past the backoff cap, up to its own cap", () =>
    Effect.gen(function*() {
      const error = new PicaRateLimitError({ ...request, status: 429, attempts: 1, resetMillis: 60_000 })
      assert.strictEqual(Duration.toMillis(yield* rateLimitDelay(policy, error, undefined, 1)), 60_000)
      // The window's first answer came 48 s ago: it turns in 12 s at the latest.
      assert.strictEqual(Duration.toMillis(yield* rateLimitDelay(policy, error, 12_000, 1)), 12_000)
      const proxy = new PicaRateLimitError({ ...request, status: 429, attempts: 1, retryAfterMillis: 30_000, resetMillis: 60_000 })
      assert.strictEqual(Duration.toMillis(yield* rateLimitDelay(policy, proxy, 12_000, 1)), 30_000)
      const longer = new PicaRateLimitError({ ...request, status: 429, attempts: 1, retryAfterMillis: 600_000 })
      assert.strictEqual(Duration.toMillis(yield* rateLimitDelay(policy, longer, undefined, 1)), 65_000)
    }))

  it.effect("backs off exponentially with jitter, under the cap", () =>
    Effect.gen(function*() {
      for (const [retry, ceiling] of [[1, 100], [2, 200], [3, 400], [6, 2000]] as const) {
        const delay = Duration.toMillis(yield* backoff(policy, retry))
        assert.isTrue(delay >= ceiling / 2 && delay <= ceiling, `retry ${retry}: ${delay}`)
      }
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
