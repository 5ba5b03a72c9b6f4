/**
 * The versions' figures (issue 23): `query --as-of` counting live connections by state on 100,000 connections
 * with 1,000,000 versions, the apply's version bookkeeping on a run that changes 10% of the rows, and the rows an
 * unchanged re-sync writes. In-process over a local file, medians of `RUNS`; `--quick` for a tenth of the sizes.
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

const layer = MirrorMigrations.layer({ folder: MirrorMigrations.packagedFolder }).pipe(Layer.provideMerge(MirrorDatabase.layer({ url })))
const runIn = <A, E>(effect: Effect.Effect<A, E, MirrorDatabase>) => Effect.runPromise(Effect.provide(effect, layer))

/** 100,000 connections, each with 10 versions a day apart: the last one open, every tenth connection a tombstone. */
const fill = async () => {
  await runIn(Effect.void)
  const client = createClient({ url })
  const stamp = (day: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${start / 1000} + (${day}) * 86400, 'unixepoch')`
  const columns = Versions.MIRRORED_COLUMNS.join(", ")
  await client.executeMultiple(`
    PRAGMA journal_mode = WAL;
    BEGIN;
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${CONNECTIONS - 1}),
      v(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM v WHERE k < ${VERSIONS_EACH - 1})
    INSERT INTO connection_versions (${columns}, valid_from, valid_to, opened_by_run, closed_by_run)
    SELECT 'live', printf('conn-%07d', i), printf('key-%d', i), 'platform-' || (i % 40), '1', printf('Connection %d', i), 'api',
      'live', NULL, NULL, '', ${stateOf}, '1', 1, ${stamp("0")},
      '["a","b"]', json_object('id', printf('conn-%07d', i), 'state', ${stateOf}, 'pad', hex(randomblob(200))),
      hex(randomblob(16)), NULL, ${stamp("0")}, ${stamp("k")},
      CASE WHEN i % 10 = 0 AND k = ${VERSIONS_EACH - 1} THEN ${stamp("k")} END,
      ${stamp("k")}, CASE WHEN k < ${VERSIONS_EACH - 1} THEN ${stamp("k + 1")} END, k + 1, CASE WHEN k < ${VERSIONS_EACH - 1} THEN k + 2 END
    FROM n, v ORDER BY i, k;
    INSERT INTO connections (${columns}) SELECT ${columns} FROM connection_versions WHERE valid_to IS NULL;
    INSERT INTO connection_changes (run_id, source, connection_id, kind, observed_at)
      SELECT ${VERSIONS_EACH}, source, id, 'inserted', valid_from FROM connection_versions WHERE valid_to IS NULL;
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

/** A run staging every connection, `share` of them with new content, applied as a sync applies it. */
const applyRun = async (runId: number, share: number) => {
  const client = createClient({ url })
  const table = Staging.table(runId)
  const every = share === 0 ? 0 : Math.round(1 / share)
  await client.executeMultiple(`
    INSERT INTO sync_runs (id, source, started_at, status) VALUES (${runId}, 'live', '2026-02-01T00:00:00.000Z', 'running');
    CREATE TABLE ${table} (id TEXT NOT NULL, kind TEXT NOT NULL, raw TEXT, content_hash TEXT NOT NULL, listed_active INTEGER NOT NULL, decode_issue TEXT);
    INSERT INTO ${table} SELECT id,
      CASE WHEN ${every} > 0 AND CAST(substr(id, 6) AS INTEGER) % ${Math.max(every, 1)} = 1 THEN 'changed' ELSE 'unchanged' END,
      CASE WHEN ${every} > 0 AND CAST(substr(id, 6) AS INTEGER) % ${Math.max(every, 1)} = 1 THEN json_set(raw, '$.state', 'failed', '$.run', ${runId}) END,
      CASE WHEN ${every} > 0 AND CAST(substr(id, 6) AS INTEGER) % ${Math.max(every, 1)} = 1 THEN hex(randomblob(16)) ELSE content_hash END,
      1, NULL FROM connections WHERE deleted_at IS NULL;
    CREATE INDEX ${table}_id ON ${table} (id, kind, content_hash);`)
  client.close()
  const now = new Date(start + (VERSIONS_EACH + runId) * DAY).toISOString()
  return runIn(Effect.gen(function*() {
    const db = yield* MirrorDatabase
    const before = performance.now()
    const counts = yield* db.transaction("mirror", Mirror.apply({ runId, source: "live", now, tombstone: true }))
    const applyMillis = performance.now() - before
    // The bookkeeping alone, timed again on the same changes in a transaction that is then rolled back.
    let versionsMillis = 0
    yield* db.transaction(
      "bench",
      Effect.gen(function*() {
        const began = performance.now()
        for (const statement of Versions.record({ runId, source: "live", now })) yield* db.query("bench", (orm) => orm.run(statement))
        versionsMillis = performance.now() - began
        return yield* Effect.fail("roll back" as const)
      })
    ).pipe(Effect.ignore)
    yield* db.query("bench", (orm) => orm.$client.execute(`DROP TABLE ${table}`))
    return { counts, applyMillis, versionsMillis }
  }))
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
  const changed = await applyRun(100, 0.1)
  console.log(
    `apply of a run changing ${changed.counts.updated} of ${CONNECTIONS * 0.9} live rows: ${changed.applyMillis.toFixed(0)} ms, ` +
      `of which the version bookkeeping ${changed.versionsMillis.toFixed(0)} ms (${(100 * changed.versionsMillis / changed.applyMillis).toFixed(1)}%)`
  )
  const before = await versionCount()
  const unchanged = await applyRun(101, 0)
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
