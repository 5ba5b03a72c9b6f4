import { sql } from "drizzle-orm"
import * as Effect from "effect/Effect"
import { hash } from "node:crypto"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import * as SyncLock from "./SyncLock.js"

/** Rows per multi-row INSERT: 5 parameters each, 2,501 a statement, far below SQLite's 32,766. */
export const BATCH_SIZE = 500

/** Sorted key orders by the order the keys came in: rows of one API share a handful of shapes. */
const sortedOrders = new Map<string, ReadonlyArray<string>>()
const MAX_ORDERS = 1_000

const sortedKeys = (object: object): ReadonlyArray<string> => {
  const keys = Object.keys(object)
  const shape = keys.join("\u0000")
  let sorted = sortedOrders.get(shape)
  if (sorted === undefined) {
    sorted = keys.sort()
    if (sortedOrders.size < MAX_ORDERS) sortedOrders.set(shape, sorted)
  }
  return sorted
}

/** `value` with every object's keys sorted, so equal content always serialises the same way. */
const canonical = (value: unknown): unknown => {
  if (value === null || typeof value !== "object") return value
  if (Array.isArray(value)) return value.map(canonical)
  const object = value as Record<string, unknown>
  // A plain object keeps V8's fast serialisation; a field named `__proto__` is defined, not assigned, so it stays a field.
  const sorted: Record<string, unknown> = {}
  for (const key of sortedKeys(object)) {
    if (key === "__proto__") Object.defineProperty(sorted, key, { value: canonical(object[key]), enumerable: true, writable: true, configurable: true })
    else sorted[key] = canonical(object[key])
  }
  return sorted
}

/** The row as JSON with its keys sorted: what `raw` holds and `content_hash` hashes. */
export const canonicalJson = (row: unknown): string => JSON.stringify(canonical(row))

/**
 * SHA-256 of a row's canonical JSON: the same content hashes the same whatever its key order. One-shot
 * `hash` is three times faster than a `Hash` object for a row's few hundred bytes.
 */
const sha256 = (text: string): string => hash("sha256", text, "hex")

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

/** The prefix of every staging table; `staged_run_7` is run 7's. */
export const TABLE_PREFIX = "staged_run_"

/**
 * The staging table of run `runId`: the rows the run has fetched, before they are applied. One per run,
 * so emptying it is one `DROP TABLE` rather than deleting every row (and its index entry) one by one.
 */
export const table = (runId: number) => `${TABLE_PREFIX}${runId}`

const COLUMNS = 5

/**
 * One statement staging `rows` rows into run `runId`'s table (id, raw, content hash, listed active,
 * decode issue per row, then the source). A row whose content the source's live mirror row already has
 * (same hash) is staged `unchanged` without its JSON, so an unchanged re-sync does not write every row
 * twice. Rows are appended: a row listed twice (offset drift) is resolved by `seal`.
 */
const insertStatement = (runId: number, rows: number): string =>
  `INSERT INTO ${table(runId)} (id, kind, raw, content_hash, listed_active, decode_issue)
    SELECT v.column1, CASE WHEN same.id IS NULL THEN 'changed' ELSE 'unchanged' END,
      CASE WHEN same.id IS NULL THEN v.column2 END, v.column3, v.column4, v.column5
    FROM (VALUES ${Array.from({ length: rows }, () => `(${Array(COLUMNS).fill("?").join(", ")})`).join(", ")}) v
    LEFT JOIN connections same ON same.source = ? AND same.id = v.column1 AND same.content_hash = v.column3
      AND same.deleted_at IS NULL`

/** Rows per staging transaction: fewer, larger commits write fewer pages. The transaction holds no network wait. */
export const ROWS_PER_COMMIT = BATCH_SIZE * 8

/** What the hash covers: the row, and the listing it came in when the row does not say whether it is active. */
const hashed = (raw: string, row: StagedRow) =>
  typeof (row.raw as { readonly active?: unknown } | null)?.active === "boolean" ? raw : `${raw}\nlisted active: ${row.listedActive}`

const insertArgs = (source: string, rows: ReadonlyArray<StagedRow>) => {
  const args: Array<string | number | null> = new Array(rows.length * COLUMNS + 1)
  rows.forEach((row, i) => {
    const raw = canonicalJson(row.raw)
    const at = i * COLUMNS
    args[at] = row.id
    args[at + 1] = raw
    args[at + 2] = sha256(hashed(raw, row))
    args[at + 3] = row.listedActive ? 1 : 0
    args[at + 4] = row.decodeIssue ?? null
  })
  args[rows.length * COLUMNS] = source
  return args
}

/**
 * Creates run `runId`'s staging table, empty and without an index: rows arrive in random id order, and an
 * index kept up to date through the scan would rewrite pages all over it at every commit, more of them
 * the larger the inventory. `seal` indexes it once, at the end.
 */
export const begin = Effect.fn("Staging.begin")(function*(runId: number, source: string) {
  const db = yield* MirrorDatabase
  yield* SyncLock.yieldToApply(source)
  yield* db.query("staging", (orm) =>
    orm.run(sql.raw(`CREATE TABLE ${table(runId)} (
      id TEXT NOT NULL,
      kind TEXT NOT NULL,
      raw TEXT,
      content_hash TEXT NOT NULL,
      listed_active INTEGER NOT NULL,
      decode_issue TEXT
    )`)))
})

/** Stages rows fetched by run `runId` of `source` in one transaction, `BATCH_SIZE` rows per statement. */
export const stage = Effect.fn("Staging.stage")(function*(runId: number, source: string, rows: ReadonlyArray<StagedRow>) {
  if (rows.length === 0) return
  const db = yield* MirrorDatabase
  const full = insertStatement(runId, BATCH_SIZE)
  const statements = Array.from({ length: Math.ceil(rows.length / BATCH_SIZE) }, (_, i) => {
    const batch = rows.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE)
    return { sql: batch.length === BATCH_SIZE ? full : insertStatement(runId, batch.length), args: insertArgs(source, batch) }
  })
  yield* SyncLock.yieldToApply(source)
  // Built by hand, not by Drizzle's query builder, which costs more than the insert at this size.
  yield* db.batch("staging", statements)
})

/**
 * Indexes run `runId`'s staged rows by id, in one sort, and keeps the last one fetched of a row listed
 * twice. Run once the listings are staged; rows staged after it (confirmed by id) keep the index up to date.
 */
export const seal = Effect.fn("Staging.seal")(function*(runId: number, source: string) {
  const db = yield* MirrorDatabase
  const name = table(runId)
  yield* SyncLock.yieldToApply(source)
  yield* db.batch("staging", [
    // With kind and hash, the change log is written from the index alone, without reading each row's JSON.
    { sql: `CREATE INDEX ${name}_id ON ${name} (id, kind, content_hash)`, args: [] },
    // Ids staged twice are found by one walk of the index, with no sort; all but each one's last copy go.
    {
      sql: `DELETE FROM ${name} WHERE rowid IN (SELECT s.rowid FROM ${name} s
        JOIN (SELECT id, max(rowid) AS last FROM ${name} GROUP BY id HAVING count(*) > 1) twice ON s.id = twice.id
        WHERE s.rowid < twice.last)`,
      args: []
    }
  ])
})

/** How many distinct connections run `runId` has staged. */
export const countStaged = Effect.fn("Staging.countStaged")(function*(runId: number) {
  const db = yield* MirrorDatabase
  const [row] = yield* db.query("staging", (orm) => orm.all<{ staged: number }>(sql.raw(`SELECT count(*) AS staged FROM ${table(runId)}`)))
  return row?.staged ?? 0
})

/** Live mirror rows of `source` that run `runId` has not staged: what may be gone. The one place this rule is written. */
export const liveButNotStaged = (runId: number, source: string) =>
  sql`connections.source = ${source} AND connections.deleted_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM ${sql.raw(table(runId))} s WHERE s.id = connections.id)`

/** Ids the mirror holds as live for `source` that run `runId` has not staged: deletion candidates. */
export const missingIds = Effect.fn("Staging.missingIds")(function*(runId: number, source: string) {
  const db = yield* MirrorDatabase
  const rows = yield* db.query("staging", (orm) =>
    orm.all<{ id: string }>(sql`SELECT id FROM connections WHERE ${liveButNotStaged(runId, source)}`))
  return rows.map((row) => row.id)
})

/** Drops the staging tables of every run of `source`, a killed run's included: they are never part of the mirror. */
export const clear = Effect.fn("Staging.clear")(function*(source: string) {
  const db = yield* MirrorDatabase
  const tables = yield* db.query("staging", (orm) =>
    orm.all<{ name: string }>(sql`SELECT s.name FROM sqlite_schema s JOIN sync_runs r ON s.name = ${TABLE_PREFIX} || r.id
      WHERE s.type = 'table' AND r.source = ${source}`))
  if (tables.length === 0) return
  yield* SyncLock.yieldToApply(source)
  for (const { name } of tables) {
    yield* db.query("staging", (orm) => orm.run(sql.raw(`DROP TABLE IF EXISTS ${name}`)))
  }
})
