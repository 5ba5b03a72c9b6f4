import { assert, describe, it } from "@effect/vitest"
import type { Faults } from "@picasync/mock"
import { Effect } from "effect"
import { mirrored, rows, sync, synced, truth } from "./harness.js"

/** Ids the mirror holds as tombstones although the API still has them: must always be empty. */
const liveButTombstoned = (url: string, live: ReadonlyMap<string, unknown>) =>
  Effect.map(
    rows<{ id: string }>(url, "SELECT id FROM connections WHERE source = 'test' AND deleted_at IS NOT NULL"),
    (tombstones) => tombstones.map((row) => row.id).filter((id) => live.has(id))
  )

describe("Fetch", () => {
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
      // Of the 7 newest rows deleted, those the server never listed (CONTRACT.md: rows counted but never listed) were never mirrored.
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
})
