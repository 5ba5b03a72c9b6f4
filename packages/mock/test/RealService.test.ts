import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Connection, MockPica } from "../src/index.js"
import { call } from "./support.js"

const list = "/v1/vault/connections"
const nullable = ["identity", "identityType", "state", "tags"]

const ids = (rows: ReadonlyArray<{ readonly id: string }>) => rows.map((row) => row.id)

/** Every page of one listing, as served: the ids of each page and the `total` each page said. */
const scan = (server: MockPica.MockPicaServer, query: string) =>
  Effect.gen(function*() {
    const pages: Array<ReadonlyArray<string>> = []
    const totals = new Set<number>()
    for (let page = 1;; page++) {
      const answer = yield* call(server, `${list}?${query}&page=${page}`)
      pages.push(ids(answer.json.rows))
      totals.add(answer.json.total)
      if (page >= answer.json.pages) return { pages, totals }
    }
  })

describe("Real-service behaviours", () => {
  it.scoped(
    "Null fields: identity and identityType (~5% of current-shape rows), state and tags (~1%) come as null; with nulls off none does and every other value is the same",
    () =>
      Effect.gen(function*() {
        const options = { count: 10_000, seed: 3, hiddenShare: 0 }
        const withNulls = yield* MockPica.start(options)
        const without = yield* MockPica.start({ ...options, nulls: false })
        const on: Array<Connection.Connection> = (yield* call(withNulls, "/__admin/inventory")).json.rows
        const off: Array<Connection.Connection> = (yield* call(without, "/__admin/inventory")).json.rows
        const share = (predicate: (row: Connection.Connection) => boolean) => on.filter(predicate).length / on.length
        assert.closeTo(share((row) => row.identity === null && row.identityType === null), 0.05 * 0.95, 0.01)
        assert.closeTo(share((row) => row.state === null), 0.01 * 0.95, 0.004)
        assert.closeTo(share((row) => row.tags === null), 0.01 * 0.95, 0.004)
        // The older shapes keep their absent fields absent.
        assert.isTrue(on.filter((row) => row.identity === null).every((row) => "state" in row))
        assert.isTrue(off.every((row) => nullable.every((field) => row[field] !== null)))
        assert.isAbove(off.filter((row) => row.name === null).length, 0)

        assert.deepStrictEqual(ids(on), ids(off))
        on.forEach((row, i) => {
          const twin = off[i]!
          assert.deepStrictEqual(Object.keys(row), Object.keys(twin))
          for (const field of Object.keys(twin)) {
            if (!(nullable.includes(field) && row[field] === null)) assert.deepStrictEqual(row[field], twin[field], field)
          }
        })

        const nulled = on.find((row) => row.identity === null)!
        const served = yield* call(withNulls, `${list}/${nulled.id}`)
        assert.include(served.text, "\"identity\":null,\"identityType\":null")
      }),
    30_000
  )

  it.scoped(
    "Rows counted but never listed: counted in total and pages, missing from every scan (pages come short, slots kept), GET by id still answers, mock.inventory leaves them out",
    () =>
      Effect.gen(function*() {
        const server = yield* MockPica.start({ count: 1000, seed: 2, hiddenShare: 0.02, shuffleTies: false })
        const listed = yield* server.inventory
        const hidden = yield* server.hidden
        assert.isAbove(hidden.length, 5)
        assert.strictEqual(listed.length + hidden.length, 1000)
        const hiddenIds = new Set(ids(hidden))
        assert.isFalse(listed.some((row) => hiddenIds.has(row.id)))

        for (const active of [true, false]) {
          const everything = [...listed, ...hidden].filter((row) => row.active === active).sort(Connection.compare)
          // Rescanning finds nothing more: the rows are missing from every scan, not drifting.
          for (let round = 0; round < 2; round++) {
            const { pages, totals } = yield* scan(server, `active=${active}&limit=100`)
            assert.deepStrictEqual([...totals], [everything.length])
            pages.forEach((page, n) => {
              // Each page holds its own slots of the full list, less the hidden rows in them.
              const slots = ids(everything.slice(n * 100, (n + 1) * 100))
              assert.deepStrictEqual(page, slots.filter((id) => !hiddenIds.has(id)), `active=${active} page ${n + 1}`)
            })
            assert.deepStrictEqual(pages.flat(), ids(listed.filter((row) => row.active === active)))
            if (active) assert.isTrue(pages.slice(0, -1).some((page) => page.length < 100), "a page before the last comes short")
          }
        }

        const [one] = hidden
        assert.deepStrictEqual((yield* call(server, `${list}/${one!.id}`)).json, one)
      }),
    30_000
  )

  it.scoped("Rows counted but never listed: hide() and POST /__admin/connections/:id/hide take a listed row out of every page for good", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 30, hiddenShare: 0, shuffleTies: false })
      const before = (yield* call(server, `${list}?limit=10`)).json
      const [first, second] = before.rows as Array<Connection.Connection>
      assert.deepStrictEqual(yield* server.hide(first!.id), first)
      const hidden = yield* call(server, `/__admin/connections/${second!.id}/hide`, { method: "POST" })
      assert.deepStrictEqual([hidden.status, hidden.json], [200, second])
      assert.strictEqual((yield* call(server, "/__admin/connections/nope/hide", { method: "POST" })).status, 404)

      const after = (yield* call(server, `${list}?limit=10`)).json
      assert.deepStrictEqual([after.total, after.pages], [before.total, before.pages])
      assert.deepStrictEqual(ids(after.rows), ids(before.rows).slice(2))
      const inventory = (yield* call(server, "/__admin/inventory")).json
      assert.deepStrictEqual(ids(inventory.hidden), [first!.id, second!.id])
      assert.strictEqual(inventory.total, 28)
      assert.strictEqual((yield* call(server, `${list}/${first!.id}`)).status, 200)
    }), 30_000)

  it.scoped(
    "Order: createdAt descending with no tie-break; tied rows come in a fresh order on each request, each response still sorted, and a tie straddling pages can repeat or skip a row in one scan",
    () =>
      Effect.gen(function*() {
        const tie = "2025-01-01T00:00:00.000001Z"
        const rows = [
          { id: "newest", createdAt: "2025-06-01T00:00:00.000000Z" },
          ...Array.from({ length: 20 }, (_, i) => ({ id: `tied-${String(i).padStart(2, "0")}`, createdAt: tie })),
          { id: "oldest", createdAt: "2024-01-01T00:00:00.000000Z" }
        ]
        const server = yield* MockPica.start({ rows })
        const served = (query: string) =>
          Effect.map(call(server, `${list}?${query}`), (answer) => answer.json.rows as Array<Connection.Connection>)
        const first = yield* served("limit=100")
        let other = first
        for (let attempt = 0; attempt < 20 && ids(other).join() === ids(first).join(); attempt++) other = yield* served("limit=100")
        assert.notDeepEqual(ids(other), ids(first), "the tied rows never changed order")
        for (const response of [first, other]) {
          assert.deepStrictEqual([...ids(response)].sort(), ids(rows).sort(), "one response holds each row once")
          assert.deepStrictEqual(response.map((row) => row.createdAt), rows.map((row) => row.createdAt))
        }

        // Pages of 11 cut the tie group: within 20 scans, one serves a row twice or never (filtered listings too).
        for (const filter of ["", "type=api&"]) {
          let exact = true
          for (let attempt = 0; attempt < 20 && exact; attempt++) {
            const scanned = [...(yield* served(`${filter}limit=11&page=1`)), ...(yield* served(`${filter}limit=11&page=2`))]
            exact = new Set(ids(scanned)).size === rows.length
          }
          assert.isFalse(exact, `every scan of "${filter}" served each row exactly once`)
        }
      }),
    30_000
  )

  it.scoped("Order: with shuffleTies off, tied rows come by id on every request", () =>
    Effect.gen(function*() {
      const rows = ["c", "a", "d", "b"].map((id) => ({ id, createdAt: "2025-01-01T00:00:00.000001Z" }))
      const server = yield* MockPica.start({ rows, shuffleTies: false })
      for (let i = 0; i < 5; i++) assert.deepStrictEqual(ids((yield* call(server, list)).json.rows), ["a", "b", "c", "d"])
    }), 30_000)

  it.scoped(
    "Parameters: the backend turns an unknown parameter into an exact-match filter: keys= and a misspelt platfrom= list zero rows with total 0, never a 400",
    () =>
      Effect.gen(function*() {
        const server = yield* MockPica.start({ count: 300, hiddenShare: 0 })
        const active = (yield* server.inventory).filter((row) => row.active)
        const empty = { rows: [], total: 0, pages: 0, page: 1 }
        for (const query of [`keys=${encodeURIComponent(active[0]!.key as string)}`, "platfrom=stripe", "skip=0", "environment="]) {
          const answer = yield* call(server, `${list}?${query}`)
          assert.deepStrictEqual([answer.status, answer.json], [200, empty], query)
        }
        const live = yield* call(server, `${list}?environment=live&limit=100`)
        assert.strictEqual(live.json.total, active.filter((row) => row.environment === "live").length)
        assert.isTrue(live.json.rows.every((row: Connection.Connection) => row.environment === "live"))
        // Documented parameters keep their meaning; an empty one still counts as absent.
        assert.strictEqual((yield* call(server, `${list}?platform=&type=api`)).json.total, active.length)

        // Numbers and booleans match as the query spells them; objects and null never match.
        yield* Effect.orDie(server.insert({ id: "odd", priority: 3, vip: true, meta: { a: 1 }, nothing: null }, { verbatim: true }))
        const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
          ["priority=3", ["odd"]],
          ["priority=03", []],
          ["vip=true", ["odd"]],
          ["meta=[object Object]", []],
          ["nothing=null", []]
        ]
        for (const [query, want] of cases) {
          assert.deepStrictEqual(ids((yield* call(server, `${list}?${query}`)).json.rows), want, query)
        }
      }),
    30_000
  )

  it.scoped(
    "Errors: BadRequest 2000, Unauthorized 2010, Forbidden 2002, NotFound 2005, TooManyRequests 2009, and every 5xx the Internal 2003 body saying 500; an unknown route or method answers {\"type\":\"error\",\"error\":\"Not found\"}",
    () =>
      Effect.gen(function*() {
        const server = yield* MockPica.start({ count: 5 })
        const expected: Record<number, readonly [type: string, code: number, key: string, message?: string]> = {
          400: ["BadRequest", 2000, "err::application::bad_request"],
          401: ["Unauthorized", 2010, "err::application::unauthorized", "You are not authorized to access this resource"],
          403: ["Forbidden", 2002, "err::application::forbidden"],
          404: ["NotFound", 2005, "err::application::not_found"],
          429: ["TooManyRequests", 2009, "err::application::too_many_requests", "Rate limit exceeded"],
          500: ["InternalServerError", 2003, "err::application::internal_server_error", "An unknown error occurred"]
        }
        const statuses = [400, 401, 403, 404, 429, 500, 502, 503, 504]
        yield* server.setFaults({ script: statuses.map((status) => ({ status })) })
        for (const status of statuses) {
          const answer = yield* call(server, list)
          const [type, code, key, message] = expected[Math.min(status, 500)]!
          assert.strictEqual(answer.status, status)
          assert.deepStrictEqual(
            [answer.json.type, answer.json.code, answer.json.status, answer.json.key, answer.json.meta],
            [type, code, Math.min(status, 500), key, null],
            String(status)
          )
          if (message !== undefined) assert.strictEqual(answer.json.message, message)
        }

        for (const [method, path] of [["GET", "/v2/nothing"], ["PUT", `${list}/x`], ["POST", list], ["DELETE", list]] as const) {
          const answer = yield* call(server, path, { method })
          assert.deepStrictEqual([answer.status, answer.text], [404, "{\"type\":\"error\",\"error\":\"Not found\"}"], `${method} ${path}`)
        }
      }),
    30_000
  )
})
