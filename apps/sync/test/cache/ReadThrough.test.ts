import { assert, describe, it } from "@effect/vitest"
import type { MockPica } from "@picasync/mock"
import { Effect, Layer, Logger, Option, Ref } from "effect"
import * as MirrorPicaClient from "../../src/MirrorPicaClient.js"
import { PicaSync } from "../../src/PicaSync.js"
import { mirrorLayer, rows, startMock, sync, tempDatabase } from "../harness.js"
import { liveClient, serviceOf } from "./Clients.js"

/** The read-through client over `mock` and the mirror at `url`, with the live client's secret `secret`. */
const readThrough = (mock: MockPica.MockPicaServer, url: string, options: MirrorPicaClient.ReadThroughOptions, secret?: string) => {
  const live = liveClient(mock, secret)
  const mirror = mirrorLayer(url)
  const engine = PicaSync.layer({ source: "test" }).pipe(Layer.provide(Layer.merge(mirror, live)))
  return serviceOf(MirrorPicaClient.layerReadThrough(options).pipe(Layer.provide(Layer.mergeAll(live, engine, mirror))))
}

const listingRequests = (mock: MockPica.MockPicaServer) =>
  Effect.map(mock.requests, (log) => log.filter((entry) => entry.path === "/v1/vault/connections").length)

describe("MirrorPicaClient.layerReadThrough", () => {
  it.scopedLive("answers from the mirror while it is fresh: no request reaches the API", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 60, seed: 3, limiter: null })
      const url = yield* tempDatabase
      yield* sync({ mock, url })
      const client = yield* readThrough(mock, url, { maxAge: "1 hour" })
      yield* mock.clearRequests
      const page = yield* client.listConnections({ limit: 100 })
      yield* client.getConnection(page.rows[0]!.id)
      assert.strictEqual(page.total, (yield* mock.inventory).filter((row) => row.active).length)
      assert.deepStrictEqual(yield* mock.requests, [])
    }))

  it.scopedLive("ten concurrent reads of a stale mirror share one sync", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 150, seed: 4, limiter: null })
      const url = yield* tempDatabase
      const client = yield* readThrough(mock, url, { maxAge: "1 hour" })
      const pages = yield* Effect.all(Array.from({ length: 10 }, () => client.listConnections({ limit: 10 })), { concurrency: "unbounded" })
      const runs = yield* rows<{ status: string }>(url, "SELECT status FROM sync_runs")
      assert.deepStrictEqual(runs, [{ status: "succeeded" }])
      for (const page of pages) assert.deepStrictEqual(page, pages[0])
      // One sync reads page 1 of both listings, and the rest of each: no reader sent a request of its own.
      const synced = yield* listingRequests(mock)
      yield* client.listConnections()
      assert.strictEqual(yield* listingRequests(mock), synced)
    }))

  it.scopedLive("a failed sync fails the read with its error, or serves the older mirror with a warning", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 40, seed: 8, limiter: null })
      const url = yield* tempDatabase
      yield* sync({ mock, url })
      const strict = yield* readThrough(mock, url, { maxAge: 0 }, "sk_test_revoked")
      assert.include(yield* Effect.flip(strict.listConnections()), { _tag: "PicaAuthError", status: 401 })

      const warnings = yield* Ref.make<ReadonlyArray<string>>([])
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") Effect.runSync(Ref.update(warnings, (all) => [...all, String(message)]))
      })
      const stale = yield* readThrough(mock, url, { maxAge: 0, serveStale: true }, "sk_test_revoked")
      const page = yield* stale.listConnections({ limit: 100 }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      assert.strictEqual(page.total, (yield* mock.inventory).filter((row) => row.active).length)
      const [warning] = yield* Ref.get(warnings)
      assert.match(warning!, /^serving the mirror of run 1 .*401/)
    }))

  it.scopedLive("a write goes to the API, and the next read sees it, recorded in connection_changes", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 30, seed: 9, limiter: null })
      const url = yield* tempDatabase
      yield* sync({ mock, url })
      const client = yield* readThrough(mock, url, { maxAge: "1 hour" })
      const [first, second] = (yield* client.listConnections()).rows
      const written = yield* client.updateConnectionTags(first!.id, ["cached", "written"])
      assert.deepStrictEqual(Option.map(written, (row) => row.tags), Option.some(["cached", "written"]))
      assert.deepStrictEqual((yield* client.getConnection(first!.id)).tags, ["cached", "written"])
      assert.deepStrictEqual((yield* client.listConnections({ tags: ["written"] })).rows.map((row) => row.id), [first!.id])

      yield* client.deleteConnection(second!.id)
      assert.include(yield* Effect.flip(client.getConnection(second!.id)), { _tag: "PicaNotFoundError" })

      const changes = yield* rows<{ connection_id: string; kind: string; tags: string | null }>(
        url,
        "SELECT connection_id, kind, changed_fields -> '$.tags.new' AS tags FROM connection_changes WHERE run_id > 1 ORDER BY id"
      )
      assert.deepStrictEqual(changes, [
        { connection_id: first!.id, kind: "updated", tags: "[\"cached\",\"written\"]" },
        { connection_id: second!.id, kind: "deleted", tags: null }
      ])
      // The freshness is still the sync's: a run of one connection is not a sync of the inventory.
      assert.strictEqual((yield* MirrorPicaClient.freshness().pipe(Effect.provide(mirrorLayer(url)))).runId, 1)
      // The next sync finds the mirror as the API is: nothing left to change.
      const next = yield* sync({ mock, url })
      assert.include(next, { inserted: 0, updated: 0, deleted: 0, restored: 0 })
    }))
})
