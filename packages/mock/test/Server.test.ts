import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runInNewContext } from "node:vm"
import { setFlagsFromString } from "node:v8"
import { type Connection, Connectors, MockPica } from "../src/index.js"
import { call, listAll } from "./support.js"

type Query = Record<string, string>

/** The plain, obviously-correct filter the server is checked against. */
const expected = (rows: ReadonlyArray<Connection.Connection>, query: Query): Array<string> => {
  const anyOf = (param: string) => query[param]?.split(",")
  return rows
    .filter((row) => String(row.active) === (query.active ?? "true"))
    .filter((row) => anyOf("key")?.includes(row.key as string) ?? true)
    .filter((row) => anyOf("tags")?.some((tag) => (row.tags as Array<string> | undefined)?.includes(tag)) ?? true)
    .filter((row) =>
      ["platformVersion", "name", "identityType", "identity", "platform"].every((param) =>
        query[param] === undefined || row[param] === query[param]
      )
    )
    .map((row) => row.id)
}

describe("Server", () => {
  // Exact rows and totals: no hidden rows, ties in id order.
  it.layer(MockPica.layer({ seed: 5, count: 700, hiddenShare: 0, shuffleTies: false }))("listing", (it) => {
    it.effect("every filter matches a plain filter of the inventory, in API order", () =>
      Effect.gen(function*() {
        const server = yield* MockPica.MockPica
        const rows = yield* server.inventory
        const named = rows.find((row) => typeof row.name === "string")!
        const teamRow = rows.find((row) => row.identityType === "team")!
        const queries: Array<Query> = [
          {},
          { active: "true" },
          { active: "false" },
          { platform: "stripe" },
          { platform: "slack", active: "false" },
          { platformVersion: "2.0.0" },
          { name: named.name as string },
          { identityType: "organization" },
          { identity: teamRow.identity as string },
          { key: `${rows[3]!.key},${rows[10]!.key},nope` },
          { tags: "billing,crm" },
          { tags: "production", platform: "github", identityType: "user" },
          { platform: "no-such-platform" }
        ]
        for (const query of queries) {
          const served = yield* listAll(server, { ...query, limit: "100" })
          const want = expected(rows, query)
          assert.deepStrictEqual(served.ids, want, JSON.stringify(query))
          assert.strictEqual(served.total, want.length)
        }
      }))

    it.effect("pagination: defaults, last partial page, page past the end, limit above the cap", () =>
      Effect.gen(function*() {
        const server = yield* MockPica.MockPica
        const active = (yield* server.inventory).filter((row) => row.active).map((row) => row.id)
        const first = yield* call(server, "/v1/vault/connections")
        assert.strictEqual(first.json.rows.length, 20)
        assert.strictEqual(first.json.page, 1)
        assert.strictEqual(first.json.total, active.length)
        assert.strictEqual(first.json.pages, Math.ceil(active.length / 20))

        const lastPage = Math.ceil(active.length / 100)
        const last = yield* call(server, `/v1/vault/connections?limit=100&page=${lastPage}`)
        assert.deepStrictEqual(last.json.rows.map((row: Connection.Connection) => row.id), active.slice((lastPage - 1) * 100))
        assert.isTrue(last.json.rows.length < 100)

        const past = yield* call(server, `/v1/vault/connections?limit=100&page=${lastPage + 1}`)
        assert.deepStrictEqual(past.json, { rows: [], total: active.length, pages: lastPage, page: lastPage + 1 })

        const capped = yield* call(server, "/v1/vault/connections?limit=5000&page=2")
        assert.strictEqual(capped.json.rows.length, 100)
        assert.strictEqual(capped.json.pages, lastPage)
        assert.strictEqual(capped.json.rows[0].id, active[100])
      }))

    it.effect("malformed parameters answer 400 with the JSON error body", () =>
      Effect.gen(function*() {
        const server = yield* MockPica.MockPica
        for (const query of ["limit=0", "limit=abc", "limit=1.5", "page=-1", "page=0", "active=maybe", "identityType=robot"]) {
          const answer = yield* call(server, `/v1/vault/connections?${query}`)
          assert.strictEqual(answer.status, 400, query)
          assert.deepStrictEqual(Object.keys(answer.json), ["type", "code", "status", "key", "message", "meta"])
          assert.strictEqual(answer.json.status, 400)
          assert.strictEqual(answer.json.meta.param, query.split("=")[0])
        }
        assert.strictEqual((yield* call(server, "/v1/available-connectors?authkit=yes")).status, 400)
      }))

    it.effect("auth: a missing or wrong secret answers 401 with the exact body", () =>
      Effect.gen(function*() {
        const server = yield* MockPica.MockPica
        const body =
          "{\"type\":\"Unauthorized\",\"code\":2010,\"status\":401,\"key\":\"err::application::unauthorized\",\"message\":\"You are not authorized to access this resource\",\"meta\":null}"
        for (const headers of [{ [server.authHeader]: "" }, { [server.authHeader]: "sk_test_wrong" }]) {
          const answer = yield* call(server, "/v1/vault/connections", { headers })
          assert.strictEqual(answer.status, 401)
          assert.strictEqual(answer.text, body)
        }
      }))

    it.effect("rate-limit headers are on every response, errors included", () =>
      Effect.gen(function*() {
        const server = yield* MockPica.MockPica
        for (const path of ["/v1/vault/connections", "/v1/vault/connections?limit=0", "/nope", "/__admin/faults"]) {
          const answer = yield* call(server, path)
          for (const header of ["x-pica-rate-limit-limit", "x-pica-rate-limit-remainings", "x-pica-rate-limit-reset"]) {
            assert.isNotNull(answer.headers.get(header), `${header} on ${path}`)
          }
        }
      }))

    it.effect("GET, PATCH and DELETE one connection; unknown ids answer the NotFound body, unknown routes the router's", () =>
      Effect.gen(function*() {
        const server = yield* MockPica.MockPica
        const [row] = yield* server.inventory
        const one = yield* call(server, `/v1/vault/connections/${row!.id}`)
        assert.deepStrictEqual(one.json, row)

        const patched = yield* call(server, `/v1/vault/connections/${row!.id}`, { method: "PATCH", body: { tags: ["vip"] } })
        assert.deepStrictEqual(patched.json, { ...row, tags: ["vip"] })
        for (const body of ["not json", { tags: "vip" }, { tags: [1] }, {}]) {
          const bad = yield* call(server, `/v1/vault/connections/${row!.id}`, { method: "PATCH", body })
          assert.strictEqual(bad.status, 400, JSON.stringify(body))
        }

        const deleted = yield* call(server, `/v1/vault/connections/${row!.id}`, { method: "DELETE" })
        assert.deepStrictEqual([deleted.status, deleted.json], [200, {}])
        for (const [method, path] of [
          ["GET", `/v1/vault/connections/${row!.id}`],
          ["DELETE", `/v1/vault/connections/${row!.id}`],
          ["PATCH", "/v1/vault/connections/missing"]
        ] as const) {
          const answer = yield* call(server, path, method === "GET" ? { method } : { method, body: { tags: [] } })
          assert.strictEqual(answer.status, 404, `${method} ${path}`)
          assert.deepStrictEqual([answer.json.type, answer.json.code, answer.json.key], ["NotFound", 2005, "err::application::not_found"])
        }
        for (const [method, path] of [["GET", "/v1/nothing-here"], ["POST", "/v1/vault/connections"]] as const) {
          const answer = yield* call(server, path, method === "GET" ? { method } : { method, body: { tags: [] } })
          assert.deepStrictEqual([answer.status, answer.text], [404, "{\"type\":\"error\",\"error\":\"Not found\"}"], `${method} ${path}`)
        }
      }))

    it.effect("available connectors: filters and envelope over the fixed catalogue", () =>
      Effect.gen(function*() {
        const server = yield* MockPica.MockPica
        const all = yield* call(server, "/v1/available-connectors?limit=100")
        assert.deepStrictEqual(all.json, { rows: Connectors.catalogue, total: 40, pages: 1, page: 1 })
        const crm = yield* call(server, "/v1/available-connectors?category=CRM&authkit=true&limit=2&page=2")
        const want = Connectors.catalogue.filter((connector) => connector.category === "CRM" && connector.oauth)
        assert.deepStrictEqual(crm.json, { rows: want.slice(2, 4), total: want.length, pages: Math.ceil(want.length / 2), page: 2 })
        const byKey = yield* call(server, "/v1/available-connectors?key=api::stripe::v1,api::exa::v1&platform=exa")
        assert.deepStrictEqual(byKey.json.rows.map((connector: Connectors.Connector) => connector.platform), ["exa"])
      }))
  })

  it.effect("an empty inventory lists total 0, pages 0", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 0 })
      const answer = yield* call(server, "/v1/vault/connections")
      assert.deepStrictEqual(answer.json, { rows: [], total: 0, pages: 0, page: 1 })
    }).pipe(Effect.scoped))

  it.effect("a configurable secret, header and cap; the legacy envelope type", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({
        count: 30,
        secret: "sk_live_abc",
        authHeader: "X-One-Secret",
        limitCap: 7,
        legacyEnvelope: true
      })
      assert.strictEqual(server.authHeader, "x-one-secret")
      const answer = yield* call(server, "/v1/vault/connections?limit=100")
      assert.strictEqual(answer.json.type, "Vault Connections")
      assert.strictEqual(answer.json.rows.length, 7)
      assert.strictEqual(answer.json.pages, Math.ceil(answer.json.total / 7))
      const other = yield* call(server, "/v1/vault/connections", { headers: { "x-pica-secret": "sk_live_abc", "x-one-secret": "" } })
      assert.strictEqual(other.status, 401)
    }).pipe(Effect.scoped))

  it.effect("serves 100,000 rows in pages of 100 without its heap growing per request", () =>
    Effect.gen(function*() {
      setFlagsFromString("--expose-gc")
      const gc = runInNewContext("gc") as () => void
      const heapAfterGc = () => {
        gc()
        gc()
        return process.memoryUsage().heapUsed
      }
      // No limiter, or 1,000 requests would wait a minute; ties in id order, so a scan serves each listed row once.
      const server = yield* MockPica.start({ count: 100_000, requestLogLimit: 100, limiter: null, shuffleTies: false })
      const scan = (active: string, from: number, to: number) =>
        Effect.gen(function*() {
          let rows = 0
          for (let page = from; page <= to; page++) {
            const answer = yield* call(server, `/v1/vault/connections?active=${active}&limit=100&page=${page}`)
            rows += answer.json.rows.length
          }
          return rows
        })
      const inactivePages = Math.ceil((yield* call(server, "/v1/vault/connections?active=false&limit=100")).json.pages)
      const activePages = (yield* call(server, "/v1/vault/connections?limit=100")).json.pages as number
      const half = Math.floor(activePages / 2)
      let served = yield* scan("true", 1, half)
      const before = heapAfterGc()
      served += yield* scan("true", half + 1, activePages)
      served += yield* scan("false", 1, inactivePages)
      const after = heapAfterGc()
      const hidden = (yield* server.hidden).length
      assert.isAbove(hidden, 0)
      assert.strictEqual(served, 100_000 - hidden)
      assert.strictEqual((yield* server.requests).length, 100)
      // Retaining even 10 KB per request over these ~550 requests would exceed this.
      assert.isBelow(after - before, 5_000_000, `heap grew by ${after - before} bytes`)
    }).pipe(Effect.scoped))
})
