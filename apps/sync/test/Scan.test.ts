import { assert, describe, it } from "@effect/vitest"
import { type Faults, MockPica } from "@picasync/mock"
import { Duration, Effect, Fiber } from "effect"
import * as fc from "effect/FastCheck"
import { count, mirrored, rows, startMock, sync, synced, tempDatabase, truth, waitFor } from "./harness.js"

/** Ids the mirror holds as tombstones although the API still has them: must always be empty. */
const liveButTombstoned = (url: string, live: ReadonlyMap<string, unknown>) =>
  Effect.map(
    rows<{ id: string }>(url, "SELECT id FROM connections WHERE source = 'test' AND deleted_at IS NOT NULL"),
    (tombstones) => tombstones.map((row) => row.id).filter((id) => live.has(id))
  )

describe("Scan", () => {
  const drifts: ReadonlyArray<readonly [string, Faults.Drift]> = [
    ["more rows deleted than inserted (rows skipped, totals move)", { afterPage: 3, delete: 7, insert: 2, update: 3 }],
    ["as many inserted as deleted (totals stay put)", { afterPage: 4, delete: 5, insert: 5 }],
    ["only inserts (rows repeated)", { afterPage: 2, insert: 6 }]
  ]
  for (const [what, drift] of drifts) {
    it.scopedLive(`drift mid-scan, ${what}, never tombstones a live row and converges on the next sync`, () =>
      Effect.gen(function*() {
        const { mock, url } = yield* synced(1200, 21)
        yield* mock.setFaults({ drift })
        yield* sync({ mock, url })
        assert.deepStrictEqual(yield* liveButTombstoned(url, yield* truth(mock)), [])
        const next = yield* sync({ mock, url })
        assert.isFalse(next.driftDetected)
        assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
      }))
  }

  it.scopedLive("a drift that skips rows is detected, rescanned and settled by id in the same run", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(1200, 22)
      const before = yield* truth(mock)
      yield* mock.setFaults({ drift: { afterPage: 3, delete: 7 } })
      const run = yield* sync({ mock, url })
      // Of the 7 newest rows deleted, those the server never listed (docs/pica-api.md: rows counted but never listed) were never mirrored.
      const after = yield* truth(mock)
      const gone = [...before.keys()].filter((id) => !after.has(id)).length
      assert.isAtLeast(gone, 5)
      assert.include(run, { driftDetected: true, deleted: gone, inserted: 0 })
      assert.strictEqual(run.idsChecked, gone)
      assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
    }))

  it.scopedLive("a row the listing hides while its total counts it is not drift: it is confirmed by id and kept; a 404 tombstones", () =>
    Effect.gen(function*() {
      const { ids, mock, url } = yield* synced(600, 23)
      yield* mock.remove(ids[0]!)
      yield* mock.setFaults({ truncate: { page: 2 } })
      const run = yield* sync({ mock, url })
      assert.include(run, { driftDetected: false, deleted: 1, updated: 0, inserted: 0 })
      // The row hidden from the active listing's page 2 (the inactive one has a single page), and the deleted one.
      assert.strictEqual(run.idsChecked, 2)
      assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
    }))

  describe("the real service (docs/pica-api.md)", () => {
    it.scopedLive("null fields: rows sending identity, identityType, name, state or tags as null are mirrored with NULL columns", () =>
      Effect.gen(function*() {
        const { mock, url } = yield* synced(2_000, 31)
        assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
        for (const column of ["identity", "identity_type", "name", "state"]) {
          assert.isAbove(yield* count(url, `SELECT 1 FROM connections WHERE ${column} IS NULL`), 0, column)
        }
        assert.strictEqual(yield* count(url, "SELECT 1 FROM connections WHERE tags <> '[]' AND json_type(raw, '$.tags') = 'null'"), 0)
      }))

    it.scopedLive("one unreadable row with an id is mirrored from its raw JSON, flagged and recorded; the run succeeds", () =>
      Effect.gen(function*() {
        const { ids, mock, url } = yield* synced(900, 32)
        const bad = ids[400]!
        yield* mock.update(bad, { state: 7, tags: "billing" })
        const run = yield* sync({ mock, url })
        assert.include(run, { status: "succeeded", rowsUnreadable: 1, updated: 1, deleted: 0 })
        const [flagged] = yield* rows(url, "SELECT state, tags, decode_issue, raw ->> '$.state' AS raw_state FROM connections WHERE id = ?", [bad])
        assert.include(flagged, { state: null, tags: "[]", raw_state: 7 })
        assert.match(String(flagged!.decode_issue), /^rows\[\d+\]\.state: /)
        const [recorded] = yield* rows(url, "SELECT run_id, connection_id, listed_active, path, raw ->> '$.state' AS state FROM unreadable_rows")
        assert.include(recorded, { run_id: run.id, connection_id: bad, listed_active: 1, state: 7 })
        assert.strictEqual(`${recorded!.path}: `, String(flagged!.decode_issue).slice(0, String(recorded!.path).length + 2))
        // The other 99.9% are mirrored as ever.
        const expected = yield* truth(mock)
        expected.delete(bad)
        const actual = yield* mirrored(url)
        actual.delete(bad)
        assert.deepStrictEqual(actual, expected)
      }))

    it.scopedLive("an unreadable row without a usable id is recorded, and that run tombstones nothing", () =>
      Effect.gen(function*() {
        const { ids, mock, url } = yield* synced(300, 33)
        yield* mock.remove(ids[0]!)
        // The first request of the next sync: page 1 of the active listing, carrying a row without an id.
        const inventory = (yield* mock.inventory).filter((row) => row.active)
        const page = { rows: [{ key: "k", name: "no id" }, ...inventory.slice(0, 99)], total: 300, pages: 3, page: 1 }
        yield* mock.setFaults({ script: [{ body: JSON.stringify(page) }] })
        const run = yield* sync({ mock, url })
        assert.include(run, { status: "succeeded", rowsUnreadable: 1, deleted: 0 })
        assert.strictEqual(yield* count(url, "SELECT 1 FROM unreadable_rows WHERE connection_id IS NULL AND path = 'rows[0].id'"), 1)
        assert.strictEqual(yield* count(url, "SELECT 1 FROM connections WHERE deleted_at IS NOT NULL"), 0)
        const next = yield* sync({ mock, url })
        assert.include(next, { deleted: 1, rowsUnreadable: 0 })
      }))

    it.scopedLive("the older shape (_id, epoch-millisecond createdAt) is mirrored under its id", () =>
      Effect.gen(function*() {
        const mock = yield* startMock({ count: 400, seed: 34, legacyShape: true })
        const url = yield* tempDatabase
        const run = yield* sync({ mock, url })
        const expected = yield* truth(mock)
        assert.include(run, { inserted: expected.size, rowsUnreadable: 0 })
        const mirror = yield* mirrored(url)
        assert.deepStrictEqual([...mirror.keys()].sort(), [...expected.keys()].sort())
        const [row] = yield* rows(url, "SELECT created_at FROM connections LIMIT 1")
        assert.match(String(row!.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      }))

    it.scopedLive("rows counted but never listed, totals stable: no drift, no rescan; an unchanged re-sync sends its pages and probes only", () =>
      Effect.gen(function*() {
        const { mock, url } = yield* synced(1_000, 35, { hiddenShare: 0.02 })
        const hidden = (yield* mock.hidden).length
        assert.isAbove(hidden, 5)
        yield* mock.clearRequests
        const run = yield* sync({ mock, url })
        assert.include(run, { driftDetected: false, rowsUnlisted: hidden, idsChecked: 0, inserted: 0, updated: 0, deleted: 0 })
        const requests = yield* mock.requests
        const probes = requests.filter((r) => r.query.limit === "1").length
        assert.strictEqual(probes, 2, "a probe of each listing after the scan; page 1 of each gave the totals before it")
        for (const active of ["true", "false"]) {
          const pages = requests.filter((r) => r.query.limit === "100" && r.query.active === active).map((r) => Number(r.query.page))
          assert.deepStrictEqual([...pages].sort((a, b) => a - b), Array.from({ length: pages.length }, (_, i) => i + 1), `active=${active}: each page once`)
        }
        const listings = requests.length - probes
        assert.strictEqual(listings, requests.filter((r) => r.query.limit === "100").length)
      }))

    it.scopedLive("GET by id answering 405 during deletion confirmation: the missing row is kept, counted unconfirmed, the run succeeds", () =>
      Effect.gen(function*() {
        const { ids, mock, url } = yield* synced(500, 36, { getById: false })
        yield* mock.remove(ids[0]!)
        const run = yield* sync({ mock, url })
        assert.include(run, { status: "succeeded", deleted: 0, idsUnconfirmed: 1, idsChecked: 1 })
        assert.strictEqual(yield* count(url, "SELECT 1 FROM connections WHERE deleted_at IS NULL AND id = ?", [ids[0]!]), 1)
      }))

    it.scopedLive("under the fixed-window limiter with a short window, a sync paces itself: no 429, no failed run", () =>
      Effect.gen(function*() {
        const mock = yield* startMock({ count: 1_500, seed: 37, limiter: { limit: 8, windowMs: 250 } })
        const url = yield* tempDatabase
        const run = yield* sync({ mock, url, concurrency: 4 })
        assert.include(run, { status: "succeeded", inserted: (yield* truth(mock)).size })
        const log = yield* mock.requests
        assert.deepStrictEqual(log.filter((entry) => entry.status === 429), [])
        assert.isAbove(new Set(log.map((entry) => entry.window)).size, 2)
      }), { timeout: 60_000 })

    it.scopedLive("an outage of every request in the middle of a sync is ridden out within retryFor", () =>
      Effect.gen(function*() {
        const mock = yield* startMock({ count: 2_000, seed: 38, faults: { latency: 5 } })
        const url = yield* tempDatabase
        const fiber = yield* Effect.fork(sync({ mock, url, concurrency: 2, maxRetries: 10_000, retryFor: Duration.seconds(20) }))
        yield* waitFor("a few pages served", Effect.map(mock.requests, (log) => log.length >= 6))
        yield* mock.setFaults({ errors: { rate: 1, statuses: [502, 503] } })
        yield* waitFor("an outage seen by 20 requests", Effect.map(mock.requests, (log) => log.filter((r) => r.status >= 500).length >= 20))
        yield* mock.clearFaults
        const run = yield* Fiber.join(fiber)
        assert.include(run, { status: "succeeded", inserted: (yield* truth(mock)).size })
      }), { timeout: 60_000 })

    it.scopedLive("ties in a different order on every request: each sync mirrors exactly what the API lists", () =>
      Effect.gen(function*() {
        const mock = yield* MockPica.start({ count: 3_000, seed: 39 })
        const url = yield* tempDatabase
        for (let run = 0; run < 3; run++) {
          yield* sync({ mock, url, concurrency: 4 })
          const live = yield* truth(mock)
          assert.deepStrictEqual(yield* liveButTombstoned(url, live), [])
          assert.deepStrictEqual(yield* mirrored(url), live)
          yield* mock.insert({})
        }
      }))
  })

  describe("rows tied on createdAt across a page boundary (the API orders them anew on each request)", () => {
    /** Rows in groups sharing a `createdAt`, one second apart, newest first; every fifth group inactive. */
    const tiedRows = (sizes: ReadonlyArray<number>) =>
      sizes.flatMap((size, group) => {
        const createdAt = new Date(Date.UTC(2025, 0, 1) - group * 1000).toISOString().replace("Z", "000Z")
        return Array.from({ length: size }, () => ({ createdAt, active: group % 5 !== 4 }))
      })

    /** The requests that read a page of 100: the scan's pages and the rescan's re-reads. */
    const pageReads = (mock: MockPica.MockPicaServer) =>
      Effect.map(mock.requests, (log) => log.filter((entry) => entry.query.limit === "100").length)

    it.scopedLive.prop(
      "groups of 30 to 150 rows straddling most boundaries: one sync mirrors every row, its re-reads counted",
      { sizes: fc.array(fc.integer({ min: 30, max: 150 }), { minLength: 20, maxLength: 30 }) },
      ({ sizes }) =>
        Effect.gen(function*() {
          const mock = yield* MockPica.start({ rows: tiedRows(sizes), limiter: null })
          const url = yield* tempDatabase
          const run = yield* sync({ mock, url, concurrency: 4 })
          const expected = yield* truth(mock)
          assert.include(run, { status: "succeeded", inserted: expected.size, rowsUnlisted: 0, driftDetected: false, idsChecked: 0 })
          assert.deepStrictEqual(yield* mirrored(url), expected)
          assert.isAbove(run.tieRereads, 0)
          assert.strictEqual(yield* pageReads(mock), run.pagesFetched + run.tieRereads)
        }),
      { timeout: 60_000, fastCheck: { numRuns: 3 } }
    )

    it.scopedLive("ties only inside pages, or ending right at a boundary: no page is read twice", () =>
      Effect.gen(function*() {
        // 1,000 active rows; on every page a group of 5 on its first rows, one in the middle, one on its last rows.
        const sizes = Array.from({ length: 10 }, () => [5, 40, 5, 45, 5]).flat()
        const mock = yield* MockPica.start({ rows: tiedRows(sizes).map((row) => ({ ...row, active: true })), limiter: null })
        const url = yield* tempDatabase
        const run = yield* sync({ mock, url })
        assert.include(run, { status: "succeeded", inserted: 1_000, tieRereads: 0, pagesFetched: 11 })
        assert.strictEqual(yield* pageReads(mock), run.pagesFetched)
        assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
      }))
  })
})
