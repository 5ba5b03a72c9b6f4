import { assert, describe, it } from "@effect/vitest"
import type { MockPica } from "@picasync/mock"
import { Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { MirrorDatabase } from "../src/db/MirrorDatabase.js"
import * as MirrorMigrations from "../src/db/MirrorMigrations.js"
import * as Diff from "../src/Diff.js"
import * as Prune from "../src/Prune.js"
import * as Query from "../src/query/Query.js"
import * as Report from "../src/Report.js"
import * as Versions from "../src/Versions.js"
import { apiEnv, backends, mirrorLayer, rows, spawnCli, startMock, sync, tempDir, truth } from "./harness.js"

const journal = JSON.parse(readFileSync(join(MirrorMigrations.packagedFolder, "meta", "_journal.json"), "utf8")) as {
  entries: ReadonlyArray<{ tag: string; when: number }>
}
/** The migrations from 0007 (the versions) on: the last release's mirror has only those before them. */
const sinceVersions = journal.entries.filter((entry) => entry.tag >= "0007_connection_versions")

/** Undoes what the migrations since the versions made (tables, indexes, columns) and forgets them: the last release's mirror. */
const asLastRelease = (url: string) =>
  Effect.gen(function*() {
    // Newest first, as they would be undone: a later one may have replaced what an earlier one made.
    for (const { tag } of [...sinceVersions].reverse()) {
      const text = readFileSync(join(MirrorMigrations.packagedFolder, `${tag}.sql`), "utf8")
      for (const [, table] of text.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?`(\w+)`/g)) yield* rows(url, `DROP TABLE IF EXISTS ${table}`)
      for (const [, index] of text.matchAll(/CREATE INDEX (?:IF NOT EXISTS )?`(\w+)`/g)) yield* rows(url, `DROP INDEX IF EXISTS ${index}`)
      // A view a migration made anew, not one it replaced (which the last release's mirror has in an older form).
      for (const [, view] of text.matchAll(/CREATE VIEW `?(\w+)`? AS/g)) {
        if (!new RegExp(`DROP VIEW \`?${view}\\b`).test(text)) yield* rows(url, `DROP VIEW IF EXISTS ${view}`)
      }
      for (const [, table, column] of text.matchAll(/ALTER TABLE `(\w+)` ADD `(\w+)`/g)) {
        yield* rows(url, `ALTER TABLE ${table} DROP COLUMN ${column}`)
      }
    }
    yield* rows(url, `DELETE FROM __drizzle_migrations WHERE created_at >= ${sinceVersions[0]?.when}`)
  })

type Row = Record<string, unknown>
type Inventory = Map<string, Row>

/** One statement through `Query.run`, as `picasync query` runs it, as of `asOf` when given; rows as objects. */
const query = (url: string, sql: string, asOf?: string) =>
  Query.run(sql, {}, { asOf }).pipe(
    Effect.map((result) => result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column, row[i]])))),
    Effect.provide(MirrorDatabase.layer({ url }))
  )

const withDb = <A, E>(url: string, effect: Effect.Effect<A, E, MirrorDatabase>) =>
  Effect.provide(effect, MirrorDatabase.layer({ url }))

/** What `--as-of` is compared with: the tables as they stood right after a run. */
const presentStatements = {
  connections: "SELECT * FROM connections ORDER BY source, id",
  tags: "SELECT * FROM connection_tags ORDER BY 1, 2, 3",
  live: "SELECT id, raw FROM live_connections WHERE source = 'test' ORDER BY id",
  unhealthy: "SELECT source, id, platform, state, name, state_since FROM unhealthy_connections ORDER BY source, id",
  byPlatform: "SELECT * FROM connections_by_platform ORDER BY 1, 2, 3, 4"
}

const present = (url: string, asOf?: string) =>
  Effect.all(Object.fromEntries(Object.entries(presentStatements).map(([name, sql]) => [name, query(url, sql, asOf)])))

const liveInventory = (live: ReadonlyArray<Row>): Inventory => new Map(live.map((row) => [String(row.id), JSON.parse(String(row.raw))]))

/**
 * Each connection's versions follow one another without a gap or an overlap, and the last one, the present, is its
 * mirror row exactly.
 */
const versionsAgree = (url: string) =>
  Effect.gen(function*() {
    const columns = Versions.MIRRORED_COLUMNS.join(", ")
    const mirror = yield* rows(url, `SELECT ${columns} FROM connections ORDER BY source, id`)
    const open = yield* rows(url, `SELECT ${columns} FROM connection_versions WHERE valid_to IS NULL ORDER BY source, id`)
    assert.deepStrictEqual(open, mirror, "every mirror row has exactly one open version, equal to it")
    const broken = yield* rows(
      url,
      `SELECT source, id, valid_from, valid_to, next_from FROM (
        SELECT source, id, valid_from, valid_to, lead(valid_from) OVER (PARTITION BY source, id ORDER BY valid_from) AS next_from
        FROM connection_versions)
      WHERE valid_to IS NOT NULL AND (next_from IS NULL OR next_from <> valid_to OR valid_from >= valid_to)`
    )
    assert.deepStrictEqual(broken, [], "each past version ends where the next one starts")
  })

interface Moment {
  readonly at: string
  readonly inventory: Inventory
  readonly tables: Effect.Effect.Success<ReturnType<typeof present>>
}

/** The net difference of two captured inventories, as `diff` reports it; `seen` holds every id mirrored by `from`. */
const expectedDiff = (from: Inventory, to: Inventory, seen: ReadonlySet<string>) => {
  const out: Array<string> = []
  for (const [id, row] of to) {
    const before = from.get(id)
    if (before === undefined) out.push(`${seen.has(id) ? "restored" : "inserted"} ${id}`)
    else {
      const fields = [...new Set([...Object.keys(before), ...Object.keys(row)])]
        .filter((field) => JSON.stringify(before[field] ?? null) !== JSON.stringify(row[field] ?? null))
        .sort()
      if (fields.length > 0) out.push(`updated ${id} ${fields.join(",")}`)
    }
  }
  for (const id of from.keys()) if (!to.has(id)) out.push(`deleted ${id}`)
  return out.sort()
}

const reported = (differences: ReadonlyArray<Diff.Difference>) =>
  differences.map((d) => d.kind === "updated" ? `updated ${d.id} ${d.changes.map((c) => c.field).join(",")}` : `${d.kind} ${d.id}`).sort()

/**
 * Syncs with inserts, updates, deletions, a deactivation, a failed run and a restore between them, capturing
 * after each run the mock's inventory and the mirror's tables: the moments `--as-of` must reproduce.
 */
const history = (mock: MockPica.MockPicaServer, url: string) =>
  Effect.gen(function*() {
    const moments: Array<Moment> = []
    const capture = (at: string) =>
      Effect.gen(function*() {
        moments.push({ at, inventory: yield* truth(mock), tables: yield* present(url) })
      })
    const step = Effect.flatMap(sync({ mock, url }), (run) => capture(run.finishedAt!))
    yield* step
    const ids = [...(yield* truth(mock)).keys()]
    yield* mock.insert({})
    yield* mock.insert({})
    yield* mock.update(ids[0]!, { name: "Renamed", state: "failed" })
    yield* mock.update(ids[1]!, { tags: ["audit", "vip"], state: "degraded" })
    yield* step
    const removed = (yield* truth(mock)).get(ids[2]!)!
    yield* mock.remove(ids[2]!)
    yield* mock.remove(ids[3]!)
    yield* mock.deactivate(ids[4]!)
    yield* step
    const versionsBefore = yield* rows(url, "SELECT * FROM connection_versions ORDER BY version_id, source, id")
    yield* step
    assert.deepStrictEqual(
      yield* rows(url, "SELECT * FROM connection_versions ORDER BY version_id, source, id"),
      versionsBefore,
      "an unchanged re-sync writes no version"
    )
    yield* mock.update(ids[5]!, { state: "failed" })
    const failed = yield* Effect.flip(sync({ mock, url, secret: "sk_test_not_the_secret" }))
    assert.isDefined(failed)
    // The failed run changed nothing: the mirror still stands as the last success left it.
    const last = moments[moments.length - 1]!
    moments.push({ at: new Date().toISOString(), inventory: last.inventory, tables: yield* present(url) })
    assert.deepStrictEqual(moments[moments.length - 1]!.tables, last.tables)
    yield* mock.insert(removed, { verbatim: true })
    yield* mock.update(ids[0]!, { state: "operational" })
    yield* step
    return moments
  })

describe.each(backends)("Versions over $name", ({ database }) => {
  it.scopedLive("--as-of at each moment answers as the mirror stood then, diff gives the net difference, prune keeps the present", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 60, seed: 23 })
      const url = yield* database
      const moments = yield* history(mock, url)
      yield* versionsAgree(url)

      for (const moment of moments) {
        const then = yield* present(url, moment.at)
        assert.deepStrictEqual(then, moment.tables, `the mirror as of ${moment.at}`)
        assert.deepStrictEqual(liveInventory(then.live!), moment.inventory, `the mock's inventory at ${moment.at}`)
      }

      const seen = new Set<string>()
      for (let i = 0; i < moments.length; i++) {
        for (const id of moments[i]!.inventory.keys()) seen.add(id)
        for (let j = i + 1; j < moments.length; j++) {
          const differences = yield* withDb(url, Diff.between({ from: moments[i]!.at, to: moments[j]!.at }))
          assert.deepStrictEqual(
            reported(differences),
            expectedDiff(moments[i]!.inventory, moments[j]!.inventory, seen),
            `diff from moment ${i} to ${j}`
          )
        }
      }

      const report = yield* withDb(url, Report.read({ now: Date.now(), days: 1 }))
      const final = [...moments[moments.length - 1]!.inventory.values()]
      const inState = (state: string) => final.filter((row) => row.state === state).length
      assert.deepStrictEqual(report.inventoryOverTime.map(({ day: _, ...counts }) => counts).at(-1), {
        live: final.length,
        failed: inState("failed"),
        degraded: inState("degraded")
      })
      assert.deepStrictEqual(report.inventoryOverTime[0], { day: report.inventoryOverTime[0]!.day, live: null, failed: null, degraded: null })

      const now = yield* present(url)
      const cutoff = moments[2]!.at
      const wouldGo = yield* withDb(url, Prune.run({ cutoff, dryRun: true }))
      const pruned = yield* withDb(url, Prune.run({ cutoff }))
      assert.deepStrictEqual(pruned, wouldGo)
      assert.isAbove(pruned.versions, 0)
      assert.isAbove(pruned.runs, 0)
      assert.deepStrictEqual(yield* present(url), now, "prune leaves the present as it was")
      yield* versionsAgree(url)
      for (const moment of moments.slice(2)) assert.deepStrictEqual(yield* present(url, moment.at), moment.tables)
      const refused = yield* Effect.flip(query(url, "SELECT count(*) FROM connections", moments[0]!.at))
      assert.strictEqual(refused._tag, "HistoryUnavailable")
      assert.include(refused.message, `the earliest moment available is ${cutoff}`)
    }), 60_000)

  it.scopedLive("a TIME before the first sync or in the future is refused, naming the earliest moment", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 5, seed: 3 })
      const url = yield* database
      const before = new Date(Date.now() - 60_000).toISOString()
      const run = yield* sync({ mock, url })
      const early = yield* Effect.flip(query(url, "SELECT 1", before))
      assert.include(early.message, `no history at ${before}: the earliest moment available is `)
      assert.include(early.message, "its first sync")
      const [{ since }] = (yield* rows<{ since: string }>(url, "SELECT since FROM history_horizons")) as [{ since: string }]
      assert.isTrue(since <= run.finishedAt!)
      const later = new Date(Date.now() + 3_600_000).toISOString()
      assert.include((yield* Effect.flip(query(url, "SELECT 1", later))).message, "later than now")
    }))
})

describe("Versions: the migration and crashes", () => {
  it.scopedLive("the migration fills the versions of a mirror made by the last release: the same present, no invented past", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 60, seed: 29 })
      const dir = yield* tempDir
      const url = `file:${join(dir, "mirror.db")}`
      const moments = yield* history(mock, url)
      yield* asLastRelease(url)
      yield* Layer.build(mirrorLayer(url))
      yield* versionsAgree(url)

      const [horizon] = yield* rows<{ since: string; reason: string }>(url, "SELECT since, reason FROM history_horizons")
      const rewritten = yield* rows<{ at: string }>(
        url,
        "SELECT max(last_seen_at) AS at FROM connections WHERE last_seen_at > first_seen_at"
      )
      assert.deepStrictEqual(horizon, { since: rewritten[0]!.at, reason: "migration" })
      const answerable = moments.filter((moment) => moment.at >= horizon!.since)
      assert.isAbove(answerable.length, 0)
      for (const moment of answerable) assert.deepStrictEqual(yield* present(url, moment.at), moment.tables)
      for (const moment of moments.filter((moment) => moment.at < horizon!.since)) {
        const refused = yield* Effect.flip(query(url, "SELECT count(*) FROM live_connections", moment.at))
        assert.include(refused.message, `the earliest moment available is ${horizon!.since}`)
      }
      // A sync after the migration keeps the versions going.
      yield* mock.insert({})
      const run = yield* sync({ mock, url })
      yield* versionsAgree(url)
      assert.deepStrictEqual(liveInventory((yield* present(url, run.finishedAt!)).live!), yield* truth(mock))
    }), 60_000)

  it.scopedLive("a sync SIGKILLed while it applies leaves the versions agreeing with the mirror", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 800, seed: 31 })
      const dir = yield* tempDir
      const url = `file:${join(dir, "mirror.db")}`
      yield* sync({ mock, url })
      for (const row of (yield* mock.inventory).filter((_, i) => i % 5 === 0)) {
        yield* Effect.orDie(mock.update(row.id, { state: "degraded", tags: ["killed"] }))
      }
      yield* mock.clearRequests
      const cli = yield* spawnCli(["sync", "--db", url], apiEnv(mock))
      // The probes of both listings come after the scan: the apply follows within milliseconds.
      while (cli.child.exitCode === null && (yield* mock.requests).filter((request) => request.query.limit === "1").length < 2) {
        yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      }
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, Math.floor(Math.random() * 40))))
      cli.child.kill("SIGKILL")
      yield* cli.exitCode
      yield* versionsAgree(url)
      const [{ n }] = (yield* rows<{ n: number }>(
        url,
        "SELECT count(*) AS n FROM connection_versions WHERE opened_by_run NOT IN (SELECT id FROM sync_runs WHERE status = 'succeeded')"
      )) as [{ n: number }]
      assert.strictEqual(n, 0, "no version of a run that did not commit")
    }), 60_000)
})
