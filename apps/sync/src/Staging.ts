import type { Connection } from "@picasync/client"
import { and, count, eq, inArray, isNull, notExists, sql } from "drizzle-orm"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import { Database } from "./db/Database.js"
import { connections, stagedConnections, syncRuns } from "./db/schema.js"

/** Rows per multi-row INSERT: 4 parameters each, far below SQLite's 32,766. */
export const BATCH_SIZE = 500

/** The value with every object's keys sorted, so equal content always serialises the same way. */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical)
  if (value === null || typeof value !== "object") return value
  const object = value as Record<string, unknown>
  return Object.fromEntries(Object.keys(object).sort().map((key) => [key, canonical(object[key])]))
}

/** SHA-256 of the row's canonical JSON: the same content hashes the same whatever its key order. */
export const contentHash = (row: unknown): string =>
  createHash("sha256").update(JSON.stringify(canonical(row))).digest("hex")

/** Stages rows fetched by run `runId`; a row seen twice (offset drift) keeps its latest content. */
export const stage = Effect.fn("Staging.stage")(function*(runId: number, rows: ReadonlyArray<Connection>) {
  if (rows.length === 0) return
  const db = yield* Database
  const values = rows.map((row) => ({ runId, id: row.id, raw: JSON.stringify(row), contentHash: contentHash(row) }))
  yield* db.query("staging", (orm) =>
    orm.insert(stagedConnections).values(values).onConflictDoUpdate({
      target: [stagedConnections.runId, stagedConnections.id],
      set: { raw: sql`excluded.raw`, contentHash: sql`excluded.content_hash` }
    }))
})

/** How many distinct connections run `runId` has staged. */
export const countStaged = Effect.fn("Staging.countStaged")(function*(runId: number) {
  const db = yield* Database
  const [row] = yield* db.query("staging", (orm) =>
    orm.select({ staged: count() }).from(stagedConnections).where(eq(stagedConnections.runId, runId)))
  return row?.staged ?? 0
})

/** Ids the mirror holds as live for `source` that run `runId` has not staged: deletion candidates. */
export const missingIds = Effect.fn("Staging.missingIds")(function*(runId: number, source: string) {
  const db = yield* Database
  const rows = yield* db.query("staging", (orm) =>
    orm.select({ id: connections.id }).from(connections).where(and(
      eq(connections.source, source),
      isNull(connections.deletedAt),
      notExists(
        orm.select({ one: sql`1` }).from(stagedConnections).where(
          and(eq(stagedConnections.runId, runId), eq(stagedConnections.id, connections.id))
        )
      )
    )))
  return rows.map((row) => row.id)
})

/** Empties the staging rows of every run of `source`: they are never part of the mirror. */
export const clear = Effect.fn("Staging.clear")(function*(source: string) {
  const db = yield* Database
  yield* db.query("staging", (orm) =>
    orm.delete(stagedConnections).where(inArray(
      stagedConnections.runId,
      orm.select({ id: syncRuns.id }).from(syncRuns).where(eq(syncRuns.source, source))
    )))
})
