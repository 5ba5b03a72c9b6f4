import { sql } from "drizzle-orm"
import * as Effect from "effect/Effect"
import { hash } from "node:crypto"
import { canonicalJson } from "./CanonicalJson.js"
import { type DatabaseFailure, MirrorDatabase } from "./db/MirrorDatabase.js"

/** Rows per multi-row INSERT: 5 parameters each, 2,501 a statement, far below SQLite's 32,766. */
export const BATCH_SIZE = 500

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
 * Run `runId`'s staging table, empty and without an index: rows arrive in random id order, and an index
 * kept up to date through the scan would rewrite pages all over it at every commit, more of them the
 * larger the inventory. `seal` indexes it once, at the end.
 */
const createTable = (runId: number) =>
  sql.raw(`CREATE TABLE ${table(runId)} (
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    raw TEXT,
    content_hash TEXT NOT NULL,
    listed_active INTEGER NOT NULL,
    decode_issue TEXT
  )`)

/** The staging table of one run: where its fetched rows wait for the apply. */
export interface Staging {
  readonly runId: number
  readonly source: string
  /** The table's name, for the apply's statements. */
  readonly table: string
  /** Stages rows in one transaction, `BATCH_SIZE` rows per statement. */
  readonly stage: (rows: ReadonlyArray<StagedRow>) => Effect.Effect<void, DatabaseFailure>
  /**
   * Indexes the staged rows by id, in one sort, and keeps the last one fetched of a row listed twice.
   * Run once the listings are staged; rows staged after it (confirmed by id) keep the index up to date.
   */
  readonly seal: Effect.Effect<void, DatabaseFailure>
  /** Empties the table, index and all, for a scan that starts again from scratch. */
  readonly reset: Effect.Effect<void, DatabaseFailure>
  /** How many distinct connections are staged. */
  readonly count: Effect.Effect<number, DatabaseFailure>
  /** Ids the mirror holds as live for the source that are not staged: deletion candidates. */
  readonly missingIds: Effect.Effect<ReadonlyArray<string>, DatabaseFailure>
}

/** Live mirror rows of `staging`'s source that it has not staged: what may be gone. The one place this rule is written. */
export const liveButNotStaged = (staging: Pick<Staging, "source" | "table">) =>
  sql`connections.source = ${staging.source} AND connections.deleted_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM ${sql.raw(staging.table)} s WHERE s.id = connections.id)`

/** Drops the staging tables of every run of `source`: a killed run's, which are never part of the mirror. */
const dropLeftovers = Effect.fn("Staging.dropLeftovers")(function*(source: string) {
  const db = yield* MirrorDatabase
  const tables = yield* db.execute<{ name: string }>(
    "staging",
    sql`SELECT s.name FROM sqlite_schema s JOIN sync_runs r ON s.name = ${TABLE_PREFIX} || r.id
      WHERE s.type = 'table' AND r.source = ${source}`
  )
  for (const { name } of tables) yield* db.execute("staging", sql.raw(`DROP TABLE IF EXISTS ${name}`))
})

/**
 * The staging table of run `runId` of `source`, made for the scope and dropped with it, whether the run
 * succeeds or not; a killed run's is dropped when the next run of its source makes its own.
 */
export const make = Effect.fn("Staging.make")(function*(runId: number, source: string) {
  const db = yield* MirrorDatabase
  const name = table(runId)
  const create = db.execute("staging", createTable(runId))
  const drop = db.execute("staging", sql.raw(`DROP TABLE IF EXISTS ${name}`))
  yield* Effect.acquireRelease(
    Effect.zipRight(dropLeftovers(source), create),
    () => Effect.ignoreLogged(drop)
  )
  const full = insertStatement(runId, BATCH_SIZE)
  const stage = (rows: ReadonlyArray<StagedRow>) =>
    rows.length === 0 ? Effect.void : db.batch(
      "staging",
      // Built by hand, not by Drizzle's query builder, which costs more than the insert at this size.
      Array.from({ length: Math.ceil(rows.length / BATCH_SIZE) }, (_, i) => {
        const batch = rows.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE)
        return { sql: batch.length === BATCH_SIZE ? full : insertStatement(runId, batch.length), args: insertArgs(source, batch) }
      })
    ).pipe(Effect.withSpan("Staging.stage", { attributes: { rows: rows.length } }))
  const seal = db.batch("staging", [
    // With kind and hash, the change log is written from the index alone, without reading each row's JSON.
    { sql: `CREATE INDEX ${name}_id ON ${name} (id, kind, content_hash)`, args: [] },
    // Ids staged twice are found by one walk of the index, with no sort; all but each one's last copy go.
    {
      sql: `DELETE FROM ${name} WHERE rowid IN (SELECT s.rowid FROM ${name} s
        JOIN (SELECT id, max(rowid) AS last FROM ${name} GROUP BY id HAVING count(*) > 1) twice ON s.id = twice.id
        WHERE s.rowid < twice.last)`,
      args: []
    }
  ]).pipe(Effect.withSpan("Staging.seal"))
  const staging = { runId, source, table: name } as const
  return {
    ...staging,
    stage,
    seal,
    reset: Effect.zipRight(drop, create).pipe(Effect.asVoid, Effect.withSpan("Staging.reset")),
    count: Effect.map(
      db.execute<{ staged: number }>("staging", sql.raw(`SELECT count(*) AS staged FROM ${name}`)),
      ([row]) => row?.staged ?? 0
    ),
    missingIds: Effect.map(
      db.execute<{ id: string }>("staging", sql`SELECT id FROM connections WHERE ${liveButNotStaged(staging)}`),
      (rows) => rows.map((row) => row.id)
    )
  } satisfies Staging
})
