import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type Connection, MockPica } from "../src/index.js"
import { call } from "./support.js"

const list = "/v1/vault/connections"
const bookkeeping = { deleted: false, deprecated: false, lastModifiedBy: "system" }

/** The older shape of `row`, written out independently of the mock. */
const legacy = (row: Connection.Connection) => {
  const { createdAt, id, ...rest } = row
  const millis = new Date(createdAt.slice(0, 23) + "Z").getTime()
  return { _id: id, ...rest, createdAt: millis, updatedAt: millis, ...bookkeeping }
}

describe("Compat (older deployments, off by default)", () => {
  it.scoped("Older shape: _id for id, createdAt and updatedAt in epoch milliseconds, deleted, deprecated, lastModifiedBy; in listings, GET and PATCH answers", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 20, hiddenShare: 0, shuffleTies: false, legacyShape: true })
      const rows = (yield* server.inventory).filter((row) => row.active)
      const listed = yield* call(server, `${list}?limit=100`)
      assert.deepStrictEqual(listed.json.rows, rows.map(legacy))
      const [row] = rows
      assert.deepStrictEqual((yield* call(server, `${list}/${row!.id}`)).json, legacy(row!))
      const patched = yield* call(server, `${list}/${row!.id}`, { method: "PATCH", body: { tags: ["vip"] } })
      assert.deepStrictEqual(patched.json, legacy({ ...row!, tags: ["vip"] }))
      // The ground truth keeps the stored shape.
      assert.deepStrictEqual((yield* call(server, "/__admin/inventory")).json.rows, yield* server.inventory)
    }), 30_000)

  it.scoped("GET by id is absent from the open backend: 405 with an empty body and an allow header", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 3, getById: false })
      const [row] = yield* server.inventory
      const answer = yield* call(server, `${list}/${row!.id}`)
      assert.deepStrictEqual([answer.status, answer.text, answer.headers.get("content-type")], [405, "", null])
      assert.include(answer.headers.get("allow"), "PATCH")
      assert.strictEqual((yield* call(server, `${list}/${row!.id}`, { method: "PATCH", body: { tags: [] } })).status, 200)
    }), 30_000)

  it.scoped("PATCH was documented as a bare 200: an empty body, the change made", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 3, patchAnswer: "empty" })
      const [row] = yield* server.inventory
      const answer = yield* call(server, `${list}/${row!.id}`, { method: "PATCH", body: { tags: ["x"] } })
      assert.deepStrictEqual([answer.status, answer.text], [200, ""])
      assert.deepStrictEqual((yield* call(server, `${list}/${row!.id}`)).json.tags, ["x"])
      assert.strictEqual((yield* call(server, `${list}/missing`, { method: "PATCH", body: { tags: [] } })).status, 404)
    }), 30_000)

  it.scoped("one server switches at runtime: setCompat and PUT /__admin/compat merge a patch (400 if invalid)", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 3 })
      const [row] = yield* server.inventory
      const get = () => call(server, `${list}/${row!.id}`)
      assert.deepStrictEqual(yield* server.compat, { legacyShape: false, getById: true, patchAnswer: "connection" })
      assert.strictEqual((yield* get()).json.id, row!.id)

      yield* server.setCompat({ legacyShape: true })
      assert.strictEqual((yield* get()).json._id, row!.id)
      const put = yield* call(server, "/__admin/compat", { method: "PUT", body: { getById: false, patchAnswer: "empty" } })
      assert.deepStrictEqual([put.status, put.json], [200, { legacyShape: true, getById: false, patchAnswer: "empty" }])
      assert.strictEqual((yield* get()).status, 405)
      for (const body of [{ patchAnswer: "html" }, { getById: "no" }, { other: true }]) {
        assert.strictEqual((yield* call(server, "/__admin/compat", { method: "PUT", body })).status, 400, JSON.stringify(body))
      }
      yield* server.setCompat({ legacyShape: false, getById: true })
      assert.deepStrictEqual((yield* get()).json, row)
      assert.deepStrictEqual((yield* call(server, "/__admin/compat")).json, { legacyShape: false, getById: true, patchAnswer: "empty" })
    }), 30_000)
})
