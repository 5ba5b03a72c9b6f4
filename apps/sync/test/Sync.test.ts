import { assert, describe, it } from "@effect/vitest"
import {
  type Connection,
  type ConnectionsPage,
  PicaClient,
  type PicaError,
  PicaNotFoundError,
  PicaUnsupportedError,
  UnreadableRow
} from "@picasync/client"
import { type Faults, MockPica } from "@picasync/mock"
import { Effect, Layer, Stream } from "effect"
import { PicaSync } from "../src/PicaSync.js"
import {
  backends,
  count,
  countMirrorWrites,
  mirrored,
  mirrorLayer,
  mirrorSnapshot,
  mirrorWrites,
  rows,
  stagingTables,
  startMock,
  sync,
  synced,
  tempDatabase,
  truth
} from "./harness.js"

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

/** What the `PicaClient` double serves: the API's state, changed by each test between runs. */
interface Api {
  /** Every connection the API has, in listing order. */
  connections: Array<Connection>
  /** Ids counted in their listing's total but never listed (the real API hides some rows this way). */
  hidden: Set<string>
  /** Unreadable rows served on page 1 of the active listing. */
  unreadable: Array<UnreadableRow>
  /** Added to each listing's total on the next `drifting` requests: the listing moving under the scan. */
  drifting: number
  /** How GET by id answers for an id the API does not have: 404, or 405 on a deployment without it. */
  getById: "found or 404" | "unsupported"
  /** GET by id requests received. */
  gets: number
}

const request = { method: "GET", url: "http://pica.test/v1/vault/connections", attempts: 1 } as const

/** A `PicaClient` over `api`: listings paged by `limit`, totals as `api` says, GET by id as `api.getById` says. */
const picaClient = (api: Api) =>
  Layer.succeed(
    PicaClient,
    PicaClient.of({
      listConnections: (params = {}) =>
        Effect.sync((): ConnectionsPage => {
          const limit = params.limit ?? 100
          const page = params.page ?? 1
          const listing = api.connections.filter((row) => (row.active ?? true) === (params.active ?? true))
          const listed = listing.filter((row) => !api.hidden.has(row.id))
          const drift = api.drifting > 0 ? 1 : 0
          api.drifting = Math.max(0, api.drifting - 1)
          const total = listing.length + drift
          return {
            rows: listed.slice((page - 1) * limit, page * limit),
            unreadable: params.active !== false && page === 1 ? api.unreadable : [],
            total,
            pages: Math.ceil(total / limit),
            page
          }
        }),
      getConnection: (id) =>
        Effect.suspend((): Effect.Effect<Connection, PicaError> => {
          api.gets++
          const found = api.connections.find((row) => row.id === id)
          if (api.getById === "unsupported") return Effect.fail(new PicaUnsupportedError({ ...request, status: 405 }))
          return found === undefined ? Effect.fail(new PicaNotFoundError({ ...request, status: 404 })) : Effect.succeed(found)
        }),
      streamPages: () => Stream.die("not used by a sync"),
      streamConnections: () => Stream.die("not used by a sync"),
      updateConnectionTags: () => Effect.die("not used by a sync"),
      deleteConnection: () => Effect.die("not used by a sync"),
      listConnectors: () => Effect.die("not used by a sync"),
      streamConnectors: () => Stream.die("not used by a sync")
    })
  )

const connection = (n: number, active = true): Connection => ({
  id: `conn_${String(n).padStart(3, "0")}`,
  key: `key::${n}`,
  name: `Connection ${n}`,
  platform: "stripe",
  state: "operational",
  tags: [`t${n % 3}`],
  active,
  createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString()
})

/** An API of `size` connections, every fourth one inactive. */
const apiOf = (size: number): Api => ({
  connections: Array.from({ length: size }, (_, i) => connection(i, i % 4 !== 0)),
  hidden: new Set(),
  unreadable: [],
  drifting: 0,
  getById: "found or 404",
  gets: 0
})

/** One sync of source `test` through the engine's front door, against `api`, into the mirror at `url`. */
const syncAgainst = (api: Api, url: string) =>
  Effect.flatMap(PicaSync, (engine) => engine.run()).pipe(
    Effect.provide(PicaSync.layer({ source: "test", pageSize: 10 }).pipe(
      Layer.provide(Layer.merge(mirrorLayer(url), picaClient(api)))
    ))
  )

const liveIds = (url: string) =>
  Effect.map(rows<{ id: string }>(url, "SELECT id FROM connections WHERE deleted_at IS NULL ORDER BY id"), (live) => live.map((row) => row.id))

/** A mirror synced once from an API of `size` connections. */
const syncedAgainst = (size: number) =>
  Effect.gen(function*() {
    const api = apiOf(size)
    const url = yield* tempDatabase
    yield* syncAgainst(api, url)
    return { api, url }
  })

describe("Sync's decisions, against a PicaClient double", () => {
  it.scopedLive("a complete, stable listing proves a missing row gone: it is tombstoned with no GET by id", () =>
    Effect.gen(function*() {
      const { api, url } = yield* syncedAgainst(40)
      const [gone] = api.connections.splice(5, 1)
      const run = yield* syncAgainst(api, url)
      assert.include(run, { status: "succeeded", deleted: 1, idsChecked: 0, idsUnconfirmed: 0, driftDetected: false })
      assert.strictEqual(api.gets, 0)
      assert.notInclude(yield* liveIds(url), gone!.id)
    }))

  it.scopedLive("a row counted but not listed is confirmed by id: kept when the API still has it, tombstoned on a 404", () =>
    Effect.gen(function*() {
      const { api, url } = yield* syncedAgainst(40)
      const hidden = api.connections[7]!
      api.hidden.add(hidden.id)
      const kept = yield* syncAgainst(api, url)
      assert.include(kept, { status: "succeeded", deleted: 0, idsChecked: 1, rowsUnlisted: 1 })
      assert.include(yield* liveIds(url), hidden.id)

      api.connections = api.connections.filter((row) => row.id !== hidden.id)
      // Still counted in the total, as the real API counts rows it hides.
      api.connections.push({ ...connection(99), id: "conn_hidden_other" })
      api.hidden.add("conn_hidden_other")
      const tombstoned = yield* syncAgainst(api, url)
      assert.include(tombstoned, { status: "succeeded", deleted: 1, idsChecked: 1 })
      assert.notInclude(yield* liveIds(url), hidden.id)
    }))

  it.scopedLive("a missing row the API cannot confirm (no GET by id) is kept: the run is incomplete and tombstones nothing", () =>
    Effect.gen(function*() {
      const { api, url } = yield* syncedAgainst(40)
      api.getById = "unsupported"
      const gone = api.connections.slice(3, 5).map((row) => row.id)
      api.connections = api.connections.filter((row) => !gone.includes(row.id))
      api.drifting = 2
      const run = yield* syncAgainst(api, url)
      assert.include(run, { status: "succeeded", deleted: 0, idsUnconfirmed: 2, driftDetected: true })
      assert.strictEqual(api.gets, 1, "one request tells the deployment has no GET by id")
      for (const id of gone) assert.include(yield* liveIds(url), id)
    }))

  it.scopedLive("totals that move during the scan: the listing is scanned again from scratch and missing rows confirmed by id", () =>
    Effect.gen(function*() {
      const { api, url } = yield* syncedAgainst(40)
      const [gone] = api.connections.splice(12, 1)
      // Both first pages report a total one off: the probe after the scan disagrees with them.
      api.drifting = 2
      const run = yield* syncAgainst(api, url)
      const pagesOnce = Math.ceil(30 / 10) + Math.ceil(9 / 10)
      assert.include(run, { status: "succeeded", driftDetected: true, deleted: 1, idsChecked: 1, unchanged: 39 })
      assert.isAbove(run.pagesFetched, pagesOnce, "the listing was read twice")
      assert.notInclude(yield* liveIds(url), gone!.id)
      assert.deepStrictEqual(yield* stagingTables(url), [])
    }))

  it.scopedLive("an unreadable row with an id is mirrored from its raw JSON and flagged; one without an id stops every tombstone", () =>
    Effect.gen(function*() {
      const { api, url } = yield* syncedAgainst(20)
      api.unreadable = [new UnreadableRow({ position: 10, id: "conn_odd", raw: { id: "conn_odd", state: 7 }, path: "rows[10].state", reason: "not a string" })]
      const flagged = yield* syncAgainst(api, url)
      assert.include(flagged, { status: "succeeded", inserted: 1, rowsUnreadable: 1, deleted: 0 })
      assert.deepStrictEqual(yield* rows(url, "SELECT id, state, decode_issue FROM connections WHERE id = 'conn_odd'"), [
        { id: "conn_odd", state: null, decode_issue: "rows[10].state: not a string" }
      ])

      const [gone] = api.connections.splice(2, 1)
      api.unreadable = [new UnreadableRow({ position: 0, raw: { name: "no id" }, path: "rows[0].id", reason: "missing" })]
      const incomplete = yield* syncAgainst(api, url)
      assert.include(incomplete, { status: "succeeded", deleted: 0, rowsUnreadable: 1 })
      assert.include(yield* liveIds(url), gone!.id, "kept: the listing had a row it could not identify")
      assert.strictEqual(yield* count(url, "SELECT 1 FROM unreadable_rows WHERE connection_id IS NULL"), 1)
    }))
})
