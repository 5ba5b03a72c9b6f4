import { count, eq, inArray, sql } from "drizzle-orm"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import { stagedConnections, syncRuns } from "./db/schema.js"
import * as SyncLock from "./SyncLock.js"

/** Rows per multi-row INSERT: 6 parameters each, far below SQLite's 32,766. */
export const BATCH_SIZE = 500

/** `value` with every object's keys sorted, so equal content always serialises the same way. */
const canonical = (value: unknown): unknown => {
  if (value === null || typeof value !== "object") return value
  if (Array.isArray(value)) return value.map(canonical)
  const object = value as Record<string, unknown>
  // No prototype, so a field named `__proto__` stays a field.
  const sorted: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(object).sort()) sorted[key] = canonical(object[key])
  return sorted
}

/** The row as JSON with its keys sorted: what `raw` holds and `content_hash` hashes. */
export const canonicalJson = (row: unknown): string => JSON.stringify(canonical(row))

/** SHA-256 of a row's canonical JSON: the same content hashes the same whatever its key order. */
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex")

/** One row fetched for staging: a connection read, or a row the client could not read but that has an id. */
export interface StagedRow {
  readonly id: string
  /** The row as the client read it, or as the API sent it when unreadable. */
  readonly raw: unknown
  /** Which listing the row came in; what `active` is when the row does not say. */
  readonly listedActive: boolean
  /** `path: reason` when the client could not read the row. */
  readonly decodeIssue?: string | undefined
}

const COLUMNS = 6

/**
 * One statement staging `rows` rows (run id, id, raw, content hash, listed active, decode issue per row,
 * then the source). A row whose content the source's live mirror row already has (same hash) is staged
 * `unchanged` without its JSON, so an unchanged re-sync does not write every row twice; a row seen twice
 * (offset drift) keeps its latest content.
 */
const insertStatement = (rows: number): string =>
  `INSERT INTO staged_connections (run_id, id, kind, raw, content_hash, listed_active, decode_issue)
    SELECT v.column1, v.column2, CASE WHEN same.id IS NULL THEN 'changed' ELSE 'unchanged' END,
      CASE WHEN same.id IS NULL THEN v.column3 END, v.column4, v.column5, v.column6
    FROM (VALUES ${Array.from({ length: rows }, () => `(${Array(COLUMNS).fill("?").join(", ")})`).join(", ")}) v
    LEFT JOIN connections same ON same.source = ? AND same.id = v.column2 AND same.content_hash = v.column4
      AND same.deleted_at IS NULL
    WHERE true
    ON CONFLICT (run_id, id) DO UPDATE SET kind = excluded.kind, raw = excluded.raw, content_hash = excluded.content_hash,
      listed_active = excluded.listed_active, decode_issue = excluded.decode_issue`

const fullBatchStatement = insertStatement(BATCH_SIZE)

/**
 * Rows per staging transaction. Ids arrive in random order, so every commit rewrites most leaves of
 * the staging index: fewer, larger commits write far fewer pages. The transaction holds no network wait.
 */
export const ROWS_PER_COMMIT = BATCH_SIZE * 8

/** What the hash covers: the row, and the listing it came in when the row does not say whether it is active. */
const hashed = (raw: string, row: StagedRow) =>
  typeof (row.raw as { readonly active?: unknown } | null)?.active === "boolean" ? raw : `${raw}\nlisted active: ${row.listedActive}`

const insertArgs = (runId: number, source: string, rows: ReadonlyArray<StagedRow>) => {
  const args: Array<string | number | null> = new Array(rows.length * COLUMNS + 1)
  rows.forEach((row, i) => {
    const raw = canonicalJson(row.raw)
    const at = i * COLUMNS
    args[at] = runId
    args[at + 1] = row.id
    args[at + 2] = raw
    args[at + 3] = sha256(hashed(raw, row))
    args[at + 4] = row.listedActive ? 1 : 0
    args[at + 5] = row.decodeIssue ?? null
  })
  args[rows.length * COLUMNS] = source
  return args
}

/** Stages rows fetched by run `runId` of `source` in one transaction, `BATCH_SIZE` rows per statement. */
export const stage = Effect.fn("Staging.stage")(function*(runId: number, source: string, rows: ReadonlyArray<StagedRow>) {
  if (rows.length === 0) return
  const db = yield* MirrorDatabase
  const statements = Array.from({ length: Math.ceil(rows.length / BATCH_SIZE) }, (_, i) => {
    const batch = rows.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE)
    return { sql: batch.length === BATCH_SIZE ? fullBatchStatement : insertStatement(batch.length), args: insertArgs(runId, source, batch) }
  })
  yield* SyncLock.yieldToApply(source)
  // Built by hand, not by Drizzle's query builder, which costs more than the insert at this size.
  yield* db.batch("staging", statements)
})

/** How many distinct connections run `runId` has staged. */
export const countStaged = Effect.fn("Staging.countStaged")(function*(runId: number) {
  const db = yield* MirrorDatabase
  const [row] = yield* db.query("staging", (orm) =>
    orm.select({ staged: count() }).from(stagedConnections).where(eq(stagedConnections.runId, runId)))
  return row?.staged ?? 0
})

/** Live mirror rows of `source` that run `runId` has not staged: what may be gone. The one place this rule is written. */
export const liveButNotStaged = (runId: number, source: string) =>
  sql`connections.source = ${source} AND connections.deleted_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM staged_connections s WHERE s.run_id = ${runId} AND s.id = connections.id)`

/** Ids the mirror holds as live for `source` that run `runId` has not staged: deletion candidates. */
export const missingIds = Effect.fn("Staging.missingIds")(function*(runId: number, source: string) {
  const db = yield* MirrorDatabase
  const rows = yield* db.query("staging", (orm) =>
    orm.all<{ id: string }>(sql`SELECT id FROM connections WHERE ${liveButNotStaged(runId, source)}`))
  return rows.map((row) => row.id)
})

/** Empties the staging rows of every run of `source`: they are never part of the mirror. */
export const clear = Effect.fn("Staging.clear")(function*(source: string) {
  const db = yield* MirrorDatabase
  yield* SyncLock.yieldToApply(source)
  yield* db.query("staging", (orm) =>
    orm.delete(stagedConnections).where(inArray(
      stagedConnections.runId,
      orm.select({ id: syncRuns.id }).from(syncRuns).where(eq(syncRuns.source, source))
    )))
})
