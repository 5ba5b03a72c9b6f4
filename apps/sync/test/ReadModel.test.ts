import { assert, describe, it } from "@effect/vitest"
import type { Transaction } from "@libsql/client"
import { Effect } from "effect"
import { MirrorDatabase } from "../src/db/MirrorDatabase.js"
import * as ReadModel from "../src/ReadModel.js"
import { rows, startMock, sync, tempDatabase } from "./harness.js"

/** The statements the read commands ran before the read model, kept here as the specification it must match. */
const before = {
  sources: "SELECT source FROM sync_runs UNION SELECT source FROM connections ORDER BY source",
  counts: (column: string) =>
    `SELECT coalesce(${column}, 'none') AS value, count(*) AS connections FROM live_connections
      WHERE source = ? GROUP BY 1 ORDER BY connections DESC, value`,
  totals: `SELECT count(*) FILTER (WHERE deleted_at IS NULL) AS live, coalesce(sum(active) FILTER (WHERE deleted_at IS NULL), 0) AS active,
      count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted FROM connections WHERE source = ?`,
  // drizzle/0001_views.sql's unhealthy_connections, which 0007 rewrote to look state_since up per row.
  unhealthy: `SELECT c.source, c.id, c.platform, c.environment, c.state, c.active, c.name, c.identity, c.key, s.state_since,
      round(julianday('now') - julianday(s.state_since), 1) AS days_in_state
    FROM live_connections c
    LEFT JOIN (
      SELECT source, connection_id, max(observed_at) AS state_since FROM connection_changes
      WHERE kind IN ('inserted', 'restored') OR changed_fields -> '$.state' IS NOT NULL GROUP BY source, connection_id
    ) s ON s.source = c.source AND s.connection_id = c.id
    WHERE c.state IN ('degraded', 'failed', 'unknown')`
}

const readOnly = <A>(url: string, run: (tx: Transaction) => Promise<A>) =>
  Effect.provide(Effect.flatMap(MirrorDatabase, (db) => db.readOnly("test", run)), MirrorDatabase.layer({ url, mustExist: true }))

/** Two sources, the second synced twice with states changed in between, so state_since and the counts vary. */
const mirror = Effect.gen(function*() {
  const url = yield* tempDatabase
  const mock = yield* startMock({ count: 300, seed: 3 })
  yield* sync({ mock, url, source: "alpha" })
  yield* sync({ mock, url, source: "beta" })
  const inventory = yield* mock.inventory
  for (const [i, row] of inventory.slice(0, 40).entries()) {
    yield* Effect.orDie(i < 10 ? mock.remove(row.id) : mock.update(row.id, { state: i % 2 === 0 ? "failed" : "operational" }))
  }
  yield* sync({ mock, url, source: "beta" })
  return url
})

describe("ReadModel", () => {
  it.scopedLive("reads the same sources, counts and totals as the statements it replaced, and the rewritten view the same rows", () =>
    Effect.gen(function*() {
      const url = yield* mirror
      const sources = yield* readOnly(url, (tx) => ReadModel.sources(tx))
      assert.deepStrictEqual(sources, (yield* rows<{ source: string }>(url, before.sources)).map((row) => row.source))
      assert.deepStrictEqual(sources, ["alpha", "beta"])
      for (const source of sources) {
        const inventory = yield* readOnly(url, (tx) => ReadModel.inventory(tx, [source]))
        const [totals] = yield* rows<{ live: number; active: number; deleted: number }>(url, before.totals, [source])
        assert.deepStrictEqual(
          [inventory.live, inventory.active, inventory.inactive, inventory.deleted],
          [totals!.live, totals!.active, totals!.live - totals!.active, totals!.deleted]
        )
        assert.deepStrictEqual(inventory.byEnvironment, yield* rows<ReadModel.Count>(url, before.counts("environment"), [source]))
        assert.deepStrictEqual(inventory.byState, yield* rows<ReadModel.Count>(url, before.counts("state"), [source]))
        assert.deepStrictEqual(inventory.byPlatform, yield* rows<ReadModel.Count>(url, before.counts("platform"), [source]))
      }
      const both = yield* readOnly(url, (tx) => ReadModel.inventory(tx, sources))
      assert.strictEqual(both.live, (yield* rows<{ n: number }>(url, "SELECT count(*) AS n FROM live_connections"))[0]!.n)
      const order = "ORDER BY source, id"
      const unhealthy = yield* rows(url, `SELECT * FROM unhealthy_connections ${order}`)
      assert.isAbove(unhealthy.length, 0)
      assert.deepStrictEqual(unhealthy, yield* rows(url, `SELECT * FROM (${before.unhealthy}) ${order}`))
      assert.strictEqual(yield* readOnly(url, (tx) => ReadModel.unhealthyCount(tx, "beta")), unhealthy.filter((row) => row.source === "beta").length)
    }), { timeout: 60_000 })

  it.scopedLive("no statement of the read model reads the rows of connections: indexes answer them", () =>
    Effect.gen(function*() {
      const url = yield* mirror
      const plans = [
        "SELECT state, active, environment, platform, count(*) FROM connections WHERE source = 'beta' AND deleted_at IS NULL GROUP BY state, active, environment, platform",
        "SELECT count(*) FROM connections WHERE source = 'beta' AND deleted_at IS NOT NULL",
        "SELECT count(*) FROM unhealthy_connections WHERE source = 'beta'",
        "SELECT source, id FROM unhealthy_connections WHERE source = 'beta' ORDER BY state_since IS NULL, state_since, platform, id LIMIT 50"
      ]
      for (const sql of plans) {
        const steps = (yield* rows<{ detail: string }>(url, `EXPLAIN QUERY PLAN ${sql}`)).map((row) => row.detail)
        const onConnections = steps.filter((step) => / connections\b/.test(step))
        assert.isNotEmpty(onConnections, sql)
        for (const step of onConnections) assert.match(step, /^SEARCH connections USING COVERING INDEX connections_live_idx/, sql)
        for (const step of steps.filter((step) => /\bch\b/.test(step))) assert.include(step, "connection_changes_state_idx", sql)
      }
    }), { timeout: 60_000 })
})
