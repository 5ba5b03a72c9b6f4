import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Schedule, TestClock } from "effect"
import { deliveryRetry, NotifyRefused, NotifyUnanswered, type Target } from "../src/Notify.js"

const target: Target = { url: "http://127.0.0.1:1/hooks/picasync" }
const at = "http://127.0.0.1:1/hooks/picasync"

/** When each POST started, in millis after the first, on the TestClock, for a receiver that always fails with `failure`. */
const attemptsAt = (failure: NotifyUnanswered | NotifyRefused, to: Target = target) =>
  Effect.gen(function*() {
    const started: Array<number> = []
    const post = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      started.push(now)
      return Effect.fail(failure)
    })
    const fiber = yield* Effect.fork(Effect.retry(post, deliveryRetry(to)))
    yield* TestClock.adjust(Duration.minutes(1))
    assert.deepStrictEqual(yield* Effect.flip(Fiber.join(fiber)), failure, "the last failure is the one reported")
    return started.map((millis) => millis - started[0]!)
  })

describe("Notify", () => {
  it.effect("a POST that may pass later is tried 4 more times over about 8 s", () =>
    Effect.gen(function*() {
      const doubling = [0, 500, 1_500, 3_500, 7_500]
      assert.deepStrictEqual(yield* attemptsAt(new NotifyRefused({ at, status: 503 })), doubling)
      assert.deepStrictEqual(yield* attemptsAt(new NotifyRefused({ at, status: 408 })), doubling)
      assert.deepStrictEqual(yield* attemptsAt(new NotifyRefused({ at, status: 429 })), doubling)
      assert.deepStrictEqual(yield* attemptsAt(new NotifyUnanswered({ at, reason: "no answer within 10s" })), doubling)
    }))

  it.effect("an answer that will not change is not tried again", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* attemptsAt(new NotifyRefused({ at, status: 404 })), [0])
      assert.deepStrictEqual(yield* attemptsAt(new NotifyRefused({ at, status: 400 })), [0])
    }))

  it.effect("a target's own schedule replaces the default, still only for what may pass", () =>
    Effect.gen(function*() {
      const once = { ...target, retry: Schedule.spaced(Duration.seconds(2)).pipe(Schedule.intersect(Schedule.recurs(1))) }
      assert.deepStrictEqual(yield* attemptsAt(new NotifyRefused({ at, status: 500 }), once), [0, 2_000])
      assert.deepStrictEqual(yield* attemptsAt(new NotifyRefused({ at, status: 401 }), once), [0])
    }))

  it("says in one line what failed and what to do", () => {
    assert.strictEqual(
      new NotifyRefused({ at, status: 500 }).message,
      `POST ${at} answered HTTP 500; check the receiver's logs and --notify-url`
    )
    assert.strictEqual(
      new NotifyUnanswered({ at, reason: "no answer within 10s" }).message,
      `POST ${at}: no answer within 10s; check that the receiver is up and reachable from here`
    )
  })
})
