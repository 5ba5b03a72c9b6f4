import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { MockPica } from "../src/index.js"
import { type Answer, call } from "./support.js"

const list = "/v1/vault/connections"
const tooManyRequests =
  "{\"type\":\"TooManyRequests\",\"code\":2009,\"status\":429,\"key\":\"err::application::too_many_requests\",\"message\":\"Rate limit exceeded\",\"meta\":null}"

const rateLimit = (answer: Answer, prefix = "x-pica-") => ({
  limit: answer.headers.get(`${prefix}rate-limit-limit`),
  remaining: answer.headers.get(`${prefix}rate-limit-remainings`),
  reset: answer.headers.get(`${prefix}rate-limit-reset`)
})

/** Polls (without counting a request) until the secret's window has ended, within `deadlineMs`. */
const windowTurned = (server: MockPica.MockPicaServer, limit: number, deadlineMs: number) =>
  Effect.gen(function*() {
    const deadline = performance.now() + deadlineMs
    while (performance.now() < deadline) {
      const peek = yield* call(server, "/__admin/limiter")
      if (rateLimit(peek).remaining === String(limit)) return true
    }
    return false
  })

describe("Limiter", () => {
  it.scopedLive(
    "Rate limit: a fixed window per secret: true remainings, reset always the window's length, then the real 429 body without Retry-After until the window turns",
    () =>
      Effect.gen(function*() {
        const server = yield* MockPica.start({ count: 5, limiter: { limit: 5, windowMs: 750 } })
        const answers: Array<Answer> = []
        for (let i = 0; i < 7; i++) answers.push(yield* call(server, list))
        assert.deepStrictEqual(answers.map((answer) => answer.status), [200, 200, 200, 200, 200, 429, 429])
        assert.deepStrictEqual(answers.map((answer) => rateLimit(answer).remaining), ["4", "3", "2", "1", "0", "0", "0"])
        assert.isTrue(answers.every((answer) => rateLimit(answer).limit === "5" && rateLimit(answer).reset === "0.75"))
        assert.strictEqual(answers[5]!.text, tooManyRequests)
        assert.isNull(answers[5]!.headers.get("retry-after"))

        assert.isTrue(yield* windowTurned(server, 5, 10_000), "the window never turned")
        const next = yield* call(server, list)
        assert.deepStrictEqual([next.status, rateLimit(next)], [200, { limit: "5", remaining: "4", reset: "0.75" }])

        // The log proves nothing was served between remainings 0 and the window turning.
        const log = yield* server.requests
        assert.deepStrictEqual(log.map((entry) => [entry.status, entry.remaining, entry.window]), [
          [200, 4, 1],
          [200, 3, 1],
          [200, 2, 1],
          [200, 1, 1],
          [200, 0, 1],
          [429, 0, 1],
          [429, 0, 1],
          [200, 4, 2]
        ])
      }),
    30_000
  )

  it.scopedLive(
    "Rate limit: counted per secret across concurrent requests; unauthenticated and scripted requests do not count",
    () =>
      Effect.gen(function*() {
        const server = yield* MockPica.start({ count: 5, limiter: { limit: 10, windowMs: 60_000 } })
        for (let i = 0; i < 3; i++) {
          const stranger = yield* call(server, list, { headers: { [server.authHeader]: "sk_test_someone_else" } })
          assert.deepStrictEqual([stranger.status, rateLimit(stranger).remaining], [401, "10"])
        }
        yield* server.setFaults({ script: [{ status: 503 }, {}] })
        const scripted = yield* Effect.all([call(server, list), call(server, list)])
        assert.deepStrictEqual(scripted.map((answer) => [answer.status, rateLimit(answer).remaining]), [[503, "10"], [200, "10"]])

        const burst = yield* Effect.all(Array.from({ length: 15 }, () => call(server, list)), { concurrency: "unbounded" })
        const served = burst.filter((answer) => answer.status === 200)
        assert.strictEqual(served.length, 10)
        assert.isTrue(burst.filter((answer) => answer.status !== 200).every((answer) => answer.status === 429 && rateLimit(answer).remaining === "0"))
        assert.deepStrictEqual(served.map((answer) => Number(rateLimit(answer).remaining)).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        const log = yield* server.requests
        assert.deepStrictEqual(log.slice(0, 5).map((entry) => entry.window), [undefined, undefined, undefined, undefined, undefined])
        assert.isTrue(log.slice(5).every((entry) => entry.window === 1))
      }),
    30_000
  )

  it.scopedLive("Rate limit: 500 a minute by default, reset 60; Retry-After only on request (seconds until the window turns)", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 5 })
      assert.deepStrictEqual(rateLimit(yield* call(server, list)), { limit: "500", remaining: "499", reset: "60" })
      assert.deepStrictEqual(yield* server.limiter, { limit: 500, windowMs: 60_000 })

      yield* server.setLimiter({ limit: 1, windowMs: 60_000, retryAfter: true })
      assert.strictEqual((yield* call(server, list)).status, 200)
      const limited = yield* call(server, list)
      assert.deepStrictEqual([limited.status, limited.headers.get("retry-after"), rateLimit(limited).reset], [429, "60", "60"])

      yield* server.setLimiter(null)
      assert.deepStrictEqual(rateLimit(yield* call(server, list)), { limit: "1000", remaining: "1000", reset: "0" })
    }), 30_000)

  it.scoped("Rate limit: PUT /__admin/limiter sets it (null turns it off, 400 if invalid); a rate-limit fault's headers win", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 5, limiter: null })
      const put = yield* call(server, "/__admin/limiter", { method: "PUT", body: { limit: 2, windowMs: 60_000 } })
      assert.deepStrictEqual([put.status, put.json], [200, { limit: 2, windowMs: 60_000 }])
      assert.deepStrictEqual((yield* call(server, "/__admin/limiter")).json, { limit: 2, windowMs: 60_000 })
      assert.strictEqual(rateLimit(yield* call(server, list)).remaining, "1")
      for (const body of [{ limit: 0, windowMs: 1000 }, { limit: 2 }, { limit: 2, windowMs: 1000, extra: 1 }, "nonsense"]) {
        const invalid = yield* call(server, "/__admin/limiter", { method: "PUT", body })
        assert.strictEqual(invalid.status, 400, JSON.stringify(body))
      }
      yield* server.setFaults({ rateLimit: { capacity: 7, refillPerSecond: 1 } })
      assert.strictEqual(rateLimit(yield* call(server, list)).limit, "7")
      yield* server.clearFaults
      assert.strictEqual((yield* call(server, list)).status, 429)
      const off = yield* call(server, "/__admin/limiter", { method: "PUT", body: "null" })
      assert.deepStrictEqual([off.status, off.json], [200, null])
      assert.strictEqual((yield* call(server, list)).status, 200)
    }), 30_000)

  it.scoped("Rate limit: the header names are configuration; the One host's x-one- prefix renames all three, script overrides included", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 5, authHeader: "x-one-secret", rateLimitHeaderPrefix: "x-one-" })
      const answer = yield* call(server, list)
      assert.deepStrictEqual(rateLimit(answer, "x-one-"), { limit: "500", remaining: "499", reset: "60" })
      assert.deepStrictEqual(rateLimit(answer), { limit: null, remaining: null, reset: null })
      yield* server.setFaults({ script: [{ status: 429, reset: 3 }] })
      const scripted = yield* call(server, list)
      assert.deepStrictEqual(rateLimit(scripted, "x-one-"), { limit: "500", remaining: "0", reset: "3" })
      assert.isNull(rateLimit(scripted).reset)
    }), 30_000)
})
