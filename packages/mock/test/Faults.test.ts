import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { type Connection, Faults, MockPica } from "../src/index.js"
import * as Random from "../src/Random.js"
import { call } from "./support.js"

const list = "/v1/vault/connections"

const ids = (rows: ReadonlyArray<Connection.Connection>) => rows.map((row) => row.id)

describe("Faults", () => {
  it.scoped("the script answers the next API requests in order, then the server behaves normally", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 30 })
      yield* server.setFaults({
        script: [
          { status: 503 },
          { status: 429, retryAfter: "2" },
          { status: 429, reset: 3 },
          { cut: true },
          { html: true },
          { status: 401 },
          { status: 504 },
          { status: 200, body: "{\"error\":\"boom\"}" },
          {}
        ]
      })
      // Admin routes neither consume the script nor see its faults.
      assert.strictEqual((yield* call(server, "/__admin/faults")).json.script.length, 9)

      const unavailable = yield* call(server, list)
      assert.deepStrictEqual([unavailable.status, unavailable.json.status], [503, 500])
      const limited = yield* call(server, list)
      assert.deepStrictEqual([limited.status, limited.headers.get("retry-after"), limited.json.message], [429, "2", "Rate limit exceeded"])
      const reset = yield* call(server, list)
      assert.deepStrictEqual(
        [reset.status, reset.headers.get("retry-after"), reset.headers.get("x-pica-rate-limit-reset")],
        [429, null, "3"]
      )
      const cut = yield* Effect.either(call(server, list))
      assert.isTrue(Either.isLeft(cut), "the cut body must fail to read")
      const html = yield* call(server, list)
      assert.deepStrictEqual([html.status, html.headers.get("content-type")], [502, "text/html"])
      assert.include(html.text, "<h1>502 Bad Gateway</h1>")
      assert.strictEqual((yield* call(server, list)).status, 401)
      const gateway = yield* call(server, list)
      assert.deepStrictEqual([gateway.status, gateway.json.status], [504, 500])
      const raw = yield* call(server, list)
      assert.deepStrictEqual([raw.status, raw.json], [200, { error: "boom" }])
      for (let i = 0; i < 2; i++) assert.strictEqual((yield* call(server, list)).json.rows.length, 20)

      assert.isUndefined((yield* server.faults).script)
      const log = yield* server.requests
      assert.deepStrictEqual(log.map((entry) => entry.status), [503, 429, 429, 200, 502, 401, 504, 200, 200, 200])
      assert.deepStrictEqual(log.map((entry) => entry.fault), [...Array(9).fill("script"), undefined])
    }))

  it.scoped("errors on every Nth request, from the configured statuses; 502 bodies say 500", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 5, faults: { errors: { every: 3, statuses: [502] } } })
      const statuses: Array<number> = []
      for (let i = 0; i < 7; i++) {
        const answer = yield* call(server, list)
        statuses.push(answer.status)
        if (answer.status === 502) assert.strictEqual(answer.json.status, 500)
      }
      assert.deepStrictEqual(statuses, [200, 200, 502, 200, 200, 502, 200])
      yield* server.setFaults({ errors: { rate: 1 } })
      for (let i = 0; i < 5; i++) assert.include([500, 502, 503, 504], (yield* call(server, list)).status)
      yield* server.setFaults({ errors: null })
      assert.strictEqual((yield* call(server, list)).status, 200)
    }))

  it.scoped("a token bucket answers 429 once empty, with or without Retry-After; reset says when it is full", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 5, faults: { rateLimit: { capacity: 3, refillPerSecond: 0.01 } } })
      const remaining: Array<string | null> = []
      for (let i = 0; i < 3; i++) {
        const answer = yield* call(server, list)
        assert.strictEqual(answer.status, 200)
        remaining.push(answer.headers.get("x-pica-rate-limit-remainings"))
      }
      assert.deepStrictEqual(remaining, ["2", "1", "0"])
      const limited = yield* call(server, list)
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers.get("x-pica-rate-limit-limit"), "3")
      assert.strictEqual(limited.headers.get("retry-after"), "100")
      assert.strictEqual(limited.headers.get("x-pica-rate-limit-reset"), "300")

      yield* server.setFaults({ rateLimit: { capacity: 1, refillPerSecond: 0.5, retryAfter: false } })
      assert.strictEqual((yield* call(server, list)).status, 200)
      const bare = yield* call(server, list)
      assert.deepStrictEqual([bare.status, bare.headers.get("retry-after"), bare.headers.get("x-pica-rate-limit-reset")], [
        429,
        null,
        "2"
      ])
    }))

  it.scoped("sockets cut mid-body and HTML pages, every Nth request", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 50, faults: { cut: { every: 2 }, html: { every: 3 } } })
      const outcomes: Array<string> = []
      for (let i = 0; i < 6; i++) {
        const answer = yield* Effect.either(call(server, list))
        outcomes.push(Either.isLeft(answer) ? "cut" : answer.right.status === 502 ? "html" : "ok")
      }
      // Every 3rd is HTML, which wins over a cut on the same request.
      assert.deepStrictEqual(outcomes, ["ok", "cut", "html", "cut", "ok", "html"])
    }))

  it.scoped("truncated pages miss one row while total still counts it", () =>
    Effect.gen(function*() {
      // Exact pages: no hidden rows, ties in id order.
      const server = yield* MockPica.start({ count: 200, hiddenShare: 0, shuffleTies: false, faults: { truncate: { page: 2 } } })
      const active = ids((yield* server.inventory).filter((row) => row.active))
      const first = yield* call(server, `${list}?page=1`)
      const second = yield* call(server, `${list}?page=2`)
      assert.strictEqual(first.json.rows.length, 20)
      assert.strictEqual(second.json.rows.length, 19)
      assert.strictEqual(second.json.total, active.length)
      const served: Array<string> = second.json.rows.map((row: Connection.Connection) => row.id)
      assert.deepStrictEqual(served, active.slice(20, 40).filter((id) => served.includes(id)))
      assert.strictEqual((yield* server.requests)[1]!.fault, "truncate")

      yield* server.setFaults({ truncate: { every: 2 } })
      const lengths: Array<number> = []
      for (let page = 1; page <= 4; page++) lengths.push((yield* call(server, `${list}?page=${page}`)).json.rows.length)
      assert.deepStrictEqual(lengths, [20, 19, 20, 19])
    }))

  it.scoped("drift after page P shifts the listing in progress, once", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({
        count: 120,
        hiddenShare: 0,
        shuffleTies: false,
        faults: { drift: { afterPage: 2, insert: 3, delete: 2, update: 1 } }
      })
      const before = yield* server.inventory
      const activeBefore = ids(before.filter((row) => row.active))
      const page = (n: number) => Effect.map(call(server, `${list}?page=${n}`), (answer) => ids(answer.json.rows))
      assert.deepStrictEqual(yield* page(1), activeBefore.slice(0, 20))
      assert.deepStrictEqual(yield* page(2), activeBefore.slice(20, 40))

      const after = yield* server.inventory
      const activeAfter = after.filter((row) => row.active)
      assert.strictEqual(after.length, before.length + 1)
      assert.deepStrictEqual(ids(activeAfter.slice(3)).slice(0, activeBefore.length - 2), activeBefore.slice(2))
      assert.deepStrictEqual(activeAfter[3]!.tags, ["drifted"])
      // Net one row more above: page 3 starts with the last row page 2 already served.
      const third = yield* page(3)
      assert.deepStrictEqual(third, ids(activeAfter.slice(40, 60)))
      assert.strictEqual(third[0], activeBefore[39])

      assert.isUndefined((yield* server.faults).drift)
      yield* page(2)
      assert.strictEqual((yield* server.inventory).length, after.length)
    }))

  it.scoped("admin routes are never faulted", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 3, faults: { html: { every: 1 }, latency: 0 } })
      assert.strictEqual((yield* call(server, list)).status, 502)
      const inventory = yield* call(server, "/__admin/inventory")
      assert.deepStrictEqual([inventory.status, inventory.json.total], [200, 3])
    }))

  it("latency is fixed or a seeded range; the same seed decides the same way", () => {
    const delays = (seed: number) => {
      const engine = new Faults.FaultEngine(Random.make(seed), { latency: { min: 20, max: 80 } }, 0)
      return Array.from({ length: 50 }, () => engine.decide(0).delayMs)
    }
    assert.deepStrictEqual(delays(9), delays(9))
    assert.notDeepEqual(delays(9), delays(10))
    assert.isTrue(delays(9).every((delay) => delay >= 20 && delay <= 80))
    const fixed = new Faults.FaultEngine(Random.make(1), { latency: 50 }, 0)
    assert.strictEqual(fixed.decide(0).delayMs, 50)
  })

  it("the schema refuses invalid configurations", () => {
    for (const invalid of [{ errors: { rate: 2 } }, { latency: { min: 5, max: 1 } }, { errors: { statuses: [418] } }, { bogus: 1 }]) {
      assert.isTrue(Either.isLeft(Faults.decode(invalid)), JSON.stringify(invalid))
    }
  })
})
