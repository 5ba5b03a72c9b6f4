import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { networkInterfaces } from "node:os"
import { MockPica } from "../src/index.js"
import { call } from "./support.js"

const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address !== undefined && address.family === "IPv4" && !address.internal)?.address

describe("Admin", () => {
  it.scoped("reads the inventory as ground truth (listed rows, hidden ones apart) and changes it", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 40, seed: 4 })
      const inventory = yield* call(server, "/__admin/inventory", { headers: { [server.authHeader]: "" } })
      const [rows, hidden] = [yield* server.inventory, yield* server.hidden]
      assert.deepStrictEqual(inventory.json, { total: rows.length, rows, hidden })
      assert.strictEqual(rows.length + hidden.length, 40)

      const created = yield* call(server, "/__admin/connections", { method: "POST", body: { platform: "notion", mood: "new" } })
      assert.strictEqual(created.status, 201)
      assert.deepStrictEqual([created.json.platform, created.json.mood, created.json.active], ["notion", "new", true])
      const listed = yield* call(server, "/v1/vault/connections?limit=1")
      assert.deepStrictEqual(listed.json.rows[0], created.json)

      const verbatim = yield* call(server, "/__admin/connections?verbatim=true", {
        method: "POST",
        body: { id: "legacy-1", platform: "exa", state: "hibernating" }
      })
      assert.deepStrictEqual(Object.keys(verbatim.json).sort(), ["active", "createdAt", "id", "platform", "state"])
      assert.strictEqual((yield* call(server, "/__admin/connections", { method: "POST", body: { id: "legacy-1" } })).status, 409)
      assert.strictEqual((yield* call(server, "/__admin/connections", { method: "POST", body: "[1]" })).status, 400)

      const patched = yield* call(server, "/__admin/connections/legacy-1", { method: "PATCH", body: { name: null, tags: ["a"] } })
      assert.deepStrictEqual([patched.json.name, patched.json.tags], [null, ["a"]])

      const deactivated = yield* call(server, "/__admin/connections/legacy-1/deactivate", { method: "POST" })
      assert.strictEqual(deactivated.json.active, false)
      const inactive = yield* call(server, "/v1/vault/connections?active=false&limit=1")
      assert.strictEqual(inactive.json.rows[0].id, "legacy-1")

      assert.strictEqual((yield* call(server, "/__admin/connections/legacy-1", { method: "DELETE" })).status, 200)
      assert.strictEqual((yield* call(server, "/__admin/connections/legacy-1", { method: "DELETE" })).status, 404)
      assert.strictEqual((yield* call(server, "/__admin/connections/legacy-1", { method: "PATCH", body: {} })).status, 404)
      assert.strictEqual((yield* call(server, "/__admin/nothing")).status, 404)
      assert.strictEqual((yield* server.inventory).length, rows.length + 1)
    }))

  it.scoped("reads and clears the request log of API routes only", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 5 })
      yield* call(server, "/v1/vault/connections?active=false&tags=a,b")
      yield* call(server, "/v1/vault/connections", { headers: { [server.authHeader]: "wrong" } })
      const log = yield* call(server, "/__admin/requests")
      assert.deepStrictEqual(
        log.json.map((entry: { method: string; path: string; query: unknown; status: number }) => [entry.method, entry.path, entry.query, entry.status]),
        [["GET", "/v1/vault/connections", { active: "false", tags: "a,b" }, 200], ["GET", "/v1/vault/connections", {}, 401]]
      )
      assert.isFalse(Number.isNaN(Date.parse(log.json[0].time)))
      assert.strictEqual((yield* call(server, "/__admin/requests", { method: "DELETE" })).status, 200)
      assert.deepStrictEqual((yield* call(server, "/__admin/requests")).json, [])
    }))

  it.scoped("reads, merges and clears the faults; refuses invalid ones", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 5, faults: { latency: 0 } })
      const put = yield* call(server, "/__admin/faults", { method: "PUT", body: { errors: { every: 2 }, script: [{ status: 503 }] } })
      assert.deepStrictEqual(put.json, { latency: 0, errors: { every: 2 }, script: [{ status: 503 }] })
      assert.strictEqual((yield* call(server, "/v1/vault/connections")).status, 503)
      const removed = yield* call(server, "/__admin/faults", { method: "PUT", body: { latency: null } })
      assert.deepStrictEqual(removed.json, { errors: { every: 2 } })
      const invalid = yield* call(server, "/__admin/faults", { method: "PUT", body: { errors: { rate: 3 } } })
      assert.strictEqual(invalid.status, 400)
      assert.include(invalid.json.message, "rate")
      assert.deepStrictEqual((yield* call(server, "/__admin/faults", { method: "DELETE" })).json, {})
      assert.deepStrictEqual(yield* server.faults, {})
    }))

  it.scoped.skipIf(externalAddress === undefined)("refuses clients that are not on loopback", () =>
    Effect.gen(function*() {
      const server = yield* MockPica.start({ count: 1, host: "0.0.0.0" })
      const remote = { ...server, url: `http://${externalAddress}:${server.port}` }
      assert.strictEqual((yield* call(remote, "/__admin/inventory")).status, 403)
      assert.strictEqual((yield* call(remote, "/v1/vault/connections")).status, 200)
    }))
})
