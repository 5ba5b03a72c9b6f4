import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import { type PicaError, PicaNotFoundError, PicaRateLimitError, PicaServerError } from "../src/PicaError.js"
import { rateLimitWait, retryDelay, type RetryPolicy, withRetries } from "../src/Retry.js"

const policy: RetryPolicy = { maxRetries: 3, baseDelay: Duration.millis(100), maxDelay: Duration.seconds(2) }
const request = { method: "GET", url: "http://127.0.0.1:1/v1/vault/connections" }

/** Counts attempts and fails each with `error(attempt)`. */
const failing = (error: (attempt: number) => PicaError) =>
  Effect.map(Ref.make(0), (count) => ({
    count,
    run: withRetries(policy, (attempt) => Effect.zipRight(Ref.update(count, (n) => n + 1), Effect.fail(error(attempt))))
  }))

describe("Retry", () => {
  it("reads Retry-After in seconds, as an HTTP date, then the reset header", () => {
    const now = Date.parse("2026-01-01T00:00:00Z")
    assert.strictEqual(rateLimitWait({ "retry-after": "3" }, now), 3000)
    assert.strictEqual(rateLimitWait({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }, now), 5000)
    assert.strictEqual(rateLimitWait({ "x-pica-rate-limit-reset": "4" }, now), 4000)
    assert.strictEqual(rateLimitWait({ "retry-after": "soon", "x-pica-rate-limit-reset": "4" }, now), 4000)
    assert.strictEqual(rateLimitWait({ "x-pica-rate-limit-reset": String(now / 1000 + 6) }, now), 6000)
    assert.isUndefined(rateLimitWait({}, now))
  })

  it.effect("caps a server's wait by the maximum delay", () =>
    Effect.gen(function*() {
      const error = new PicaRateLimitError({ ...request, status: 429, attempts: 1, retryAfterMillis: 60_000 })
      assert.strictEqual(Duration.toMillis(yield* retryDelay(policy, error, 1)), 2000)
    }))

  it.effect("backs off exponentially with jitter, under the cap", () =>
    Effect.gen(function*() {
      const error = new PicaServerError({ ...request, status: 503, attempts: 1 })
      for (const [attempt, ceiling] of [[1, 100], [2, 200], [3, 400], [6, 2000]] as const) {
        const delay = Duration.toMillis(yield* retryDelay(policy, error, attempt))
        assert.isTrue(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay}`)
      }
    }))

  it.effect("stops after maxRetries further attempts and reports how many were made", () =>
    Effect.gen(function*() {
      const { count, run } = yield* failing((attempts) => new PicaServerError({ ...request, status: 503, attempts }))
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust(Duration.minutes(1))
      const exit = yield* Fiber.await(fiber)
      assert.strictEqual(yield* Ref.get(count), 4)
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(exit, Exit.fail(new PicaServerError({ ...request, status: 503, attempts: 4 })))
    }))

  it.effect("waits what the 429 asked before trying again", () =>
    Effect.gen(function*() {
      const { count, run } = yield* failing((attempts) =>
        new PicaRateLimitError({ ...request, status: 429, attempts, retryAfterMillis: 1500 })
      )
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust(Duration.millis(1499))
      assert.strictEqual(yield* Ref.get(count), 1)
      yield* TestClock.adjust(Duration.millis(1))
      assert.strictEqual(yield* Ref.get(count), 2)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("never retries what is not transient", () =>
    Effect.gen(function*() {
      const { count, run } = yield* failing((attempts) => new PicaNotFoundError({ ...request, status: 404, attempts }))
      yield* Effect.flip(run)
      assert.strictEqual(yield* Ref.get(count), 1)
    }))
})
