/**
 * The versions' figures (issue 23): `query --as-of` counting live connections by state on 100,000 connections
 * with 1,000,000 versions, what the apply's version bookkeeping adds to a run that changes 10% of the rows (the
 * same apply timed with and without the versions' writes, each on a fresh copy of the mirror), and the rows an
 * unchanged re-sync writes. In-process over a local file, medians; `--quick` for a tenth of the sizes.
 * Run: `npx tsx --conditions=@picasync/source bench/versions.ts [--quick]` from the repository root.
 */
import { createClient } from "@libsql/client"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { MirrorDatabase } from "../apps/sync/src/db/MirrorDatabase.js"
import * as MirrorMigrations from "../apps/sync/src/db/MirrorMigrations.js"
import * as Mirror from "../apps/sync/src/Mirror.js"
import * as Query from "../apps/sync/src/query/Query.js"
import * as Staging from "../apps/sync/src/Staging.js"
import * as Versions from "../apps/sync/src/Versions.js"

const quick = process.argv.includes("--quick")
const CONNECTIONS = quick ? 10_000 : 100_000
const VERSIONS_EACH = 10
const RUNS = 5
/** Each apply runs on a fresh copy of the mirror (a gigabyte), so fewer of them. */
const APPLY_RUNS = 3
const DAY = 86_400_000
const start = Date.parse("2026-01-01T00:00:00.000Z")
const work = fs.mkdtempSync(path.join(os.tmpdir(), "picasync-bench-versions-"))
const url = `file:${path.join(work, "mirror.db")}`
const states = ["operational", "degraded", "failed", "unknown"]

/** The state of version `k` of connection `i`, as SQL: the four states in turn. */
const stateOf = `CASE (i + k) % 4 ${states.map((state, i) => `WHEN ${i} THEN '${state}'`).join(" ")} END`

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const timed = async <A>(run: () => Promise<A>) => {
  const began = performance.now()
  const value = await run()
  return { value, millis: performance.now() - began }
}

const layerAt = (at: string) =>
  MirrorMigrations.layer({ folder: MirrorMigrations.packagedFolder }).pipe(Layer.provideMerge(MirrorDatabase.layer({ url: at })))
const runIn = <A, E>(effect: Effect.Effect<A, E, MirrorDatabase>) => Effect.runPromise(Effect.provide(effect, layerAt(url)))

/** 100,000 connections, each with 10 versions a day apart: the last one open, every tenth connection a tombstone. */
const fill = async () => {
  await runIn(Effect.void)
  const client = createClient({ url })
  const stamp = (day: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${start / 1000} + (${day}) * 86400, 'unixepoch')`
  const columns = Versions.MIRRORED_COLUMNS.join(", ")
  await client.executeMultiple(`
    PRAGMA journal_mode = WAL;
    BEGIN;
    CREATE TEMP TABLE every_version (${columns}, valid_from, valid_to, opened_by_run, closed_by_run);
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${CONNECTIONS - 1}),
      v(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM v WHERE k < ${VERSIONS_EACH - 1})
    INSERT INTO every_version
    SELECT 'live', printf('conn-%07d', i), printf('key-%d', i), 'platform-' || (i % 40), '1', printf('Connection %d', i), 'api',
      'live', NULL, NULL, '', ${stateOf}, '1', 1, ${stamp("0")},
      '["a","b"]', json_object('id', printf('conn-%07d', i), 'state', ${stateOf}, 'pad', hex(randomblob(200))),
      hex(randomblob(16)), NULL, ${stamp("0")}, ${stamp("k")},
      CASE WHEN i % 10 = 0 AND k = ${VERSIONS_EACH - 1} THEN ${stamp("k")} END,
      ${stamp("k")}, CASE WHEN k < ${VERSIONS_EACH - 1} THEN ${stamp("k + 1")} END, k + 1,
      CASE WHEN k < ${VERSIONS_EACH - 1} THEN k + 2 END
    FROM n, v ORDER BY i, k;
    INSERT INTO connection_past_versions (${columns}, valid_from, valid_to, opened_by_run, closed_by_run)
      SELECT ${columns}, valid_from, valid_to, opened_by_run, closed_by_run FROM every_version WHERE valid_to IS NOT NULL;
    INSERT INTO connections (${columns}) SELECT ${columns} FROM every_version WHERE valid_to IS NULL;
    INSERT INTO connection_changes (run_id, source, connection_id, kind, observed_at)
      SELECT ${VERSIONS_EACH}, source, id, 'inserted', valid_from FROM every_version WHERE valid_to IS NULL;
    DROP TABLE every_version;
    INSERT INTO sync_runs (id, source, started_at, finished_at, status)
      SELECT value, 'live', ${stamp("value - 1")}, ${stamp("value - 1")}, 'succeeded' FROM generate_series(1, ${VERSIONS_EACH});
    INSERT INTO history_horizons VALUES ('live', ${stamp("0")}, 'first sync');
    COMMIT;`)
  client.close()
}

const countByState = "SELECT state, count(*) AS n FROM live_connections GROUP BY state ORDER BY state"

const asOfFigures = async () => {
  const moments = {
    "the newest day": new Date(start + (VERSIONS_EACH - 0.5) * DAY).toISOString(),
    "the middle": new Date(start + (VERSIONS_EACH / 2 - 0.5) * DAY).toISOString(),
    "the first day": new Date(start + 0.5 * DAY).toISOString()
  }
  const figures: Array<string> = []
  for (const [what, at] of Object.entries(moments)) {
    const times: Array<number> = []
    let rows = 0
    for (let i = 0; i < RUNS; i++) {
      const { millis, value } = await timed(() => runIn(Query.run(countByState, {}, { asOf: at })))
      times.push(millis)
      rows = value.rows.reduce((sum, row) => sum + Number(row[1]), 0)
    }
    figures.push(`query --as-of ${what} (${at}), count by state over ${rows} live: median ${median(times).toFixed(0)} ms`)
  }
  return figures
}

/** Stages a run of every live connection, `share` of them with new content, as a sync stages it. */
const stage = async (at: string, runId: number, share: number) => {
  const client = createClient({ url: at })
  const table = `${Staging.TABLE_PREFIX}${runId}`
  const every = share === 0 ? 0 : Math.round(1 / share)
  const picked = `${every} > 0 AND CAST(substr(id, 6) AS INTEGER) % ${Math.max(every, 1)} = 1`
  await client.executeMultiple(`
    INSERT INTO sync_runs (id, source, started_at, status) VALUES (${runId}, 'live', '2026-02-01T00:00:00.000Z', 'running');
    CREATE TABLE ${table} (id TEXT NOT NULL, kind TEXT NOT NULL, raw TEXT, content_hash TEXT NOT NULL, listed_active INTEGER NOT NULL, decode_issue TEXT);
    INSERT INTO ${table} SELECT id, CASE WHEN ${picked} THEN 'changed' ELSE 'unchanged' END,
      CASE WHEN ${picked} THEN json_set(raw, '$.state', 'failed', '$.run', ${runId}) END,
      CASE WHEN ${picked} THEN hex(randomblob(16)) ELSE content_hash END,
      1, NULL FROM connections WHERE deleted_at IS NULL;
    CREATE INDEX ${table}_id ON ${table} (id, kind, content_hash);
    PRAGMA wal_checkpoint(TRUNCATE);`)
  client.close()
}

/**
 * The versions swapped for a view that keeps nothing: the apply's statement still runs (reading the run's
 * changes and the rows they name) but writes no version, so the same apply without the bookkeeping's writes.
 */
const withoutVersions = async (at: string) => {
  const client = createClient({ url: at })
  await client.executeMultiple(`
    ALTER TABLE connection_past_versions RENAME TO versions_kept;
    CREATE VIEW connection_past_versions AS SELECT * FROM versions_kept WHERE 0;
    CREATE TRIGGER versions_off_insert INSTEAD OF INSERT ON connection_past_versions BEGIN SELECT 1; END;
    PRAGMA wal_checkpoint(TRUNCATE);`)
  client.close()
}

/** The apply of staged run `runId` as a sync runs it, in its own transaction, on the mirror at `at`. */
const applyOn = (at: string, runId: number) => {
  const now = new Date(start + (VERSIONS_EACH + runId) * DAY).toISOString()
  return Effect.runPromise(Effect.provide(
    Effect.gen(function*() {
      const db = yield* MirrorDatabase
      const before = performance.now()
      const counts = yield* db.transaction("mirror", Mirror.apply({ runId, source: "live", now, tombstone: true }))
      return { counts, millis: performance.now() - before }
    }),
    layerAt(at)
  ))
}

/**
 * The apply of a run changing `share` of the rows, each time on a fresh copy of the same staged mirror: with the
 * versions, and with their writes swapped out, in turn; their medians and difference are the bookkeeping's cost.
 */
const applyFigures = async (runId: number, share: number) => {
  await stage(url, runId, share)
  // A new file each time: a connection the last apply left to the garbage collector must not see this one.
  let copies = 0
  const fresh = () => {
    const copy = path.join(work, `copy-${copies++}.db`)
    fs.copyFileSync(path.join(work, "mirror.db"), copy)
    return `file:${copy}`
  }
  const withTimes: Array<number> = []
  const withoutTimes: Array<number> = []
  let counts: Mirror.MirrorCounts | undefined
  for (let i = 0; i < APPLY_RUNS; i++) {
    const applied = await applyOn(fresh(), runId)
    counts = applied.counts
    withTimes.push(applied.millis)
    const bare = fresh()
    await withoutVersions(bare)
    withoutTimes.push((await applyOn(bare, runId)).millis)
  }
  for (const file of fs.readdirSync(work)) if (file.startsWith("copy-")) fs.rmSync(path.join(work, file), { force: true })
  return { counts: counts!, withMillis: median(withTimes), withoutMillis: median(withoutTimes) }
}

const versionCount = async () => {
  const client = createClient({ url })
  const [row] = (await client.execute("SELECT count(*) AS n, max(version_id) AS last, max(coalesce(valid_to, '')) AS closed FROM connection_versions")).rows
  client.close()
  return JSON.stringify(row)
}

const main = async () => {
  const filled = await timed(fill)
  console.log(`${CONNECTIONS} connections, ${CONNECTIONS * VERSIONS_EACH} versions written in ${(filled.millis / 1000).toFixed(1)} s (${work})`)
  for (const line of await asOfFigures()) console.log(line)
  const changed = await applyFigures(100, 0.1)
  const added = changed.withMillis - changed.withoutMillis
  console.log(
    `apply of a run changing ${changed.counts.updated} of ${CONNECTIONS * 0.9} live rows (medians of ${APPLY_RUNS}, each on a fresh copy): ` +
      `${changed.withMillis.toFixed(0)} ms; without the versions' writes ${changed.withoutMillis.toFixed(0)} ms; ` +
      `the bookkeeping adds ${added.toFixed(0)} ms (${(100 * added / changed.withoutMillis).toFixed(1)}%)`
  )
  const before = await versionCount()
  await stage(url, 101, 0)
  const unchanged = await applyOn(url, 101)
  const after = await versionCount()
  console.log(
    `unchanged re-sync: ${unchanged.counts.unchanged} unchanged, versions ${before === after ? "untouched (0 rows written)" : `CHANGED ${before} -> ${after}`}`
  )
  if (!process.argv.includes("--keep-db")) fs.rmSync(work, { recursive: true, force: true })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
