import { assert, describe, it } from "@effect/vitest"
import { type Faults, MockPica } from "@picasync/mock"
import { Effect } from "effect"
import { backends, count, countMirrorWrites, mirrored, mirrorSnapshot, mirrorWrites, rows, stagingTables, startMock, sync, synced, truth } from "./harness.js"

interface Change {
  readonly connection_id: string
  readonly kind: string
  readonly changed_fields: string | null
}

const changesOf = (url: string, runId: number) =>
  Effect.map(
    rows<Change>(url, "SELECT connection_id, kind, changed_fields FROM connection_changes WHERE run_id = ?", [runId]),
    (changes) => new Map(changes.map((change) => [change.connection_id, change]))
  )

const tagsOf = (url: string, id: string, source = "test") =>
  Effect.map(
    rows<{ tag: string }>(url, "SELECT tag FROM connection_tags WHERE source = ? AND connection_id = ? ORDER BY tag", [source, id]),
    (tags) => tags.map((row) => row.tag)
  )

describe.each(backends)("Sync over $name", ({ database }) => {
  it.scopedLive("first sync mirrors every connection, active and inactive, with its raw row and tags", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 450, seed: 7 })
      const url = yield* database
      const run = yield* sync({ mock, url })
      const expected = yield* truth(mock)
      assert.include(run, { status: "succeeded", inserted: expected.size, updated: 0, deleted: 0, driftDetected: false })
      assert.deepStrictEqual(yield* mirrored(url), expected)
      assert.strictEqual(
        yield* count(url, "SELECT 1 FROM connections WHERE active = 0"),
        [...expected.values()].filter((row) => !row.active).length
      )
      const tagged = [...expected.values()].find((row) => Array.isArray(row.tags) && row.tags.length > 1)!
      assert.deepStrictEqual(yield* tagsOf(url, tagged.id as string), [...(tagged.tags as Array<string>)].sort())
      const [typed] = yield* rows(url, "SELECT key, platform_version, identity_type, active, created_at FROM connections WHERE id = ?", [
        tagged.id as string
      ])
      assert.deepStrictEqual(typed, {
        key: tagged.key,
        platform_version: tagged.platformVersion,
        identity_type: tagged.identityType,
        active: tagged.active ? 1 : 0,
        created_at: tagged.createdAt
      })
      assert.strictEqual(yield* count(url, "SELECT 1 FROM connection_changes WHERE kind = 'inserted'"), expected.size)
      assert.deepStrictEqual(yield* stagingTables(url), [])
      assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_locks"), 0)
    }))

  it.scopedLive("an unchanged re-sync writes no row of connections, connection_tags or connection_changes", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* synced(300, 3, { database })
      yield* countMirrorWrites(url)
      const run = yield* sync({ mock, url })
      assert.strictEqual(yield* mirrorWrites(url), 0)
      const listed = (yield* mock.inventory).length
      assert.include(run, { status: "succeeded", inserted: 0, updated: 0, deleted: 0, restored: 0, unchanged: listed })
      assert.strictEqual(run.rowsUnlisted, 300 - listed)
    }))

  it.scopedLive("records inserts, updates, tag changes, deactivation and deletion as connection_changes", () =>
    Effect.gen(function*() {
      const { ids, mock, url } = yield* synced(250, 1, { database })
      const listed = (yield* mock.inventory).length
      const [renamed, retagged, deactivated, deleted] = ids
      const oldTags = (yield* truth(mock)).get(retagged!)!.tags as Array<string>
      const created = yield* mock.insert({})
      yield* mock.update(renamed!, { name: "Renamed", legacyRef: "lr_new" })
      yield* mock.update(retagged!, { tags: ["vip", "billing"] })
      yield* mock.deactivate(deactivated!)
      yield* mock.remove(deleted!)
      yield* countMirrorWrites(url)
      const run = yield* sync({ mock, url })
      assert.include(run, { inserted: 1, updated: 3, deleted: 1, restored: 0, unchanged: listed - 4 })
      const changes = yield* changesOf(url, run.id)
      assert.deepStrictEqual([...changes.keys()].sort(), [created.id, renamed!, retagged!, deactivated!, deleted!].sort())
      assert.strictEqual(changes.get(created.id)!.kind, "inserted")
      assert.strictEqual(changes.get(deleted!)!.kind, "deleted")
      const fields = (id: string) => JSON.parse(changes.get(id)!.changed_fields!)
      assert.deepStrictEqual(Object.keys(fields(renamed!)).sort(), ["legacyRef", "name"])
      assert.deepStrictEqual(fields(renamed!).legacyRef, { old: null, new: "lr_new" })
      assert.deepStrictEqual(fields(retagged!).tags.new, ["vip", "billing"])
      assert.deepStrictEqual(fields(deactivated!), { active: { old: true, new: false } })
      assert.deepStrictEqual(yield* tagsOf(url, retagged!), ["billing", "vip"])
      assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
      const [gone] = yield* rows(url, "SELECT deleted_at, active FROM connections WHERE id = ?", [deleted!])
      assert.isNotNull(gone!.deleted_at)
      // 5 connection rows, 5 changes, the new row's tags, and the retagged row's old tags out and new ones in.
      const createdTags = (created.tags as Array<string> | undefined)?.length ?? 0
      assert.strictEqual(yield* mirrorWrites(url), 5 + 5 + createdTags + oldTags.length + 2)
    }))

  it.scopedLive("tombstones a deleted connection and restores it when it comes back", () =>
    Effect.gen(function*() {
      const { ids, mock, url } = yield* synced(120, 1, { database })
      const id = ids[0]!
      const row = (yield* truth(mock)).get(id)!
      yield* mock.remove(id)
      const deletion = yield* sync({ mock, url })
      assert.include(deletion, { deleted: 1, inserted: 0 })
      const [tombstone] = yield* rows(url, "SELECT deleted_at, raw FROM connections WHERE id = ?", [id])
      assert.isNotNull(tombstone!.deleted_at)
      assert.deepStrictEqual(JSON.parse(tombstone!.raw as string), row)
      assert.deepStrictEqual(yield* tagsOf(url, id), [...(row.tags as Array<string>)].sort())

      const unchanged = yield* sync({ mock, url })
      assert.include(unchanged, { deleted: 0, restored: 0 })

      yield* mock.insert(row, { verbatim: true })
      const restore = yield* sync({ mock, url })
      assert.include(restore, { restored: 1, inserted: 0, updated: 0, deleted: 0 })
      const [back] = yield* rows(url, "SELECT deleted_at FROM connections WHERE id = ?", [id])
      assert.isNull(back!.deleted_at)
      const history = yield* rows<Change>(url, "SELECT kind, changed_fields FROM connection_changes WHERE connection_id = ? ORDER BY id", [id])
      assert.deepStrictEqual(history.map((change) => change.kind), ["inserted", "deleted", "restored"])
      assert.isNull(history[2]!.changed_fields)
    }))

  it.scopedLive("keeps two sources side by side: a sync touches only its own rows", () =>
    Effect.gen(function*() {
      // The same seed: both inventories hold the same ids, told apart by source.
      const testMock = yield* startMock({ count: 150, seed: 5 })
      const liveMock = yield* startMock({ count: 150, seed: 5, secret: "sk_live_mock" })
      const url = yield* database
      yield* sync({ mock: testMock, url })
      const live = yield* sync({ mock: liveMock, url })
      assert.include(live, { source: "live", inserted: 150 })
      const testRows = () => rows(url, "SELECT * FROM connections WHERE source = 'test' ORDER BY id")
      const before = yield* testRows()
      for (const row of (yield* liveMock.inventory).slice(0, 10)) yield* liveMock.remove(row.id)
      assert.include(yield* sync({ mock: liveMock, url }), { source: "live", deleted: 10 })
      assert.deepStrictEqual(yield* testRows(), before)
      assert.strictEqual(yield* count(url, "SELECT 1 FROM connections WHERE deleted_at IS NOT NULL AND source = 'live'"), 10)
      assert.deepStrictEqual(yield* mirrored(url, "live"), yield* truth(liveMock))
      assert.deepStrictEqual(yield* mirrored(url, "test"), yield* truth(testMock))
    }))

  describe("a failed run leaves the mirror exactly as it was and is recorded as failed", () => {
    /** A synced mirror, a changed inventory, then a sync that fails as `breakIt` makes it. */
    const failedRun = (breakIt: (mock: MockPica.MockPicaServer) => Effect.Effect<void>, secret?: string) =>
      Effect.gen(function*() {
        const { ids, mock, url } = yield* synced(900, 11, { database })
        yield* mock.insert({})
        yield* mock.update(ids[0]!, { tags: ["changed"] })
        yield* mock.remove(ids[1]!)
        const before = yield* mirrorSnapshot(url)
        yield* breakIt(mock)
        const error = yield* Effect.flip(sync({ mock, url, source: "test", ...(secret === undefined ? {} : { secret }) }))
        assert.deepStrictEqual(yield* mirrorSnapshot(url), before)
        const [run] = yield* rows(url, "SELECT status, error FROM sync_runs ORDER BY id DESC LIMIT 1")
        assert.strictEqual(run!.status, "failed")
        assert.strictEqual(run!.error, error.message)
        assert.deepStrictEqual(yield* stagingTables(url), [])
        assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_locks"), 0)
        // Once the API behaves, the next sync applies what the failed one could not.
        yield* mock.clearFaults
        yield* sync({ mock, url })
        assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
        return error
      })

    /** Serves the first `requests` requests normally, then applies `faults` to every one after. */
    const afterRequests = (requests: number, faults: Faults.Faults) =>
      (mock: MockPica.MockPicaServer) => mock.setFaults({ ...faults, script: Array.from({ length: requests }, () => ({})) })

    it.scopedLive("on an unknown secret", () =>
      Effect.gen(function*() {
        const error = yield* failedRun(() => Effect.void, "sk_test_revoked")
        assert.strictEqual(error._tag, "PicaAuthError")
        assert.notInclude(error.message, "sk_test_revoked")
      }))

    it.scopedLive("on a storm of 5xx answers past the retry budget, mid-scan", () =>
      Effect.gen(function*() {
        const error = yield* failedRun(afterRequests(8, { errors: { rate: 1 } }))
        assert.strictEqual(error._tag, "PicaServerError")
      }))

    it.scopedLive("on a body cut off, mid-scan", () =>
      Effect.gen(function*() {
        const error = yield* failedRun(afterRequests(8, { cut: { rate: 1 } }))
        assert.strictEqual(error._tag, "PicaTransportError")
        assert.include(error.message, "cut off")
      }))
  })
})
