import * as Effect from "effect/Effect"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import * as Versions from "./Versions.js"

export const diffKinds = ["inserted", "deleted", "updated", "restored"] as const
export type DiffKind = (typeof diffKinds)[number]

/** One API field whose value differs between the two moments; null where the row lacked it or held null. */
export interface FieldChange {
  readonly field: string
  readonly before: unknown
  readonly after: unknown
}

/** A connection that differs between two moments, net of every step between them. */
export interface Difference {
  readonly kind: DiffKind
  readonly source: string
  readonly id: string
  readonly key: string | null
  readonly platform: string | null
  /** For `updated` and `restored`: the fields that differ; empty for the other kinds. */
  readonly changes: ReadonlyArray<FieldChange>
}

export interface DiffOptions {
  /** ISO instants, `from` not after `to`. */
  readonly from: string
  readonly to: string
  readonly source?: string | undefined
}

/**
 * Pairs each connection at `to` with itself at `from` (a mirror row, once there, stays as a tombstone at
 * least, so nothing at `from` is missing at `to`), keeping those whose presence or content differs.
 */
const statement = (options: DiffOptions) => {
  return `WITH f AS (${Versions.connectionsAt(options.from, options.source)}), t AS (${
    Versions.connectionsAt(options.to, options.source)
  })
    SELECT
      CASE WHEN f.id IS NULL THEN 'inserted' WHEN t.deleted_at IS NOT NULL THEN 'deleted'
        WHEN f.deleted_at IS NOT NULL THEN 'restored' ELSE 'updated' END AS kind,
      t.source, t.id, t.key, t.platform,
      CASE WHEN f.id IS NOT NULL AND t.deleted_at IS NULL THEN (
        SELECT json_group_array(json_object('field', k.key, 'before', f.raw -> k.key, 'after', t.raw -> k.key))
        FROM (SELECT key FROM json_each(f.raw) UNION SELECT key FROM json_each(t.raw) ORDER BY key) k
        WHERE (f.raw -> k.key) IS NOT (t.raw -> k.key)) END AS changes
    FROM t LEFT JOIN f ON f.source = t.source AND f.id = t.id
    WHERE (f.id IS NULL AND t.deleted_at IS NULL)
      OR (f.id IS NOT NULL AND (f.deleted_at IS NULL) <> (t.deleted_at IS NULL))
      OR (f.deleted_at IS NULL AND t.deleted_at IS NULL AND f.content_hash <> t.content_hash)
    ORDER BY t.source, t.id`
}

const fieldChanges = (value: unknown): ReadonlyArray<FieldChange> =>
  value === null || value === undefined
    ? []
    : JSON.parse(String(value)) as ReadonlyArray<FieldChange>

/**
 * The connections that differ between the mirror at `from` and at `to`, one row each, in one read
 * transaction; both moments must lie within the versions' history (`Versions.checkAvailable`).
 */
export const between = Effect.fn("Diff.between")(function*(options: DiffOptions) {
  const db = yield* MirrorDatabase
  yield* Versions.checkAvailable(options.from, options.source)
  yield* Versions.checkAvailable(options.to, options.source)
  return yield* db.readOnly("diff", async (tx) =>
    (await tx.execute(statement(options))).rows.map((row): Difference => ({
      kind: String(row.kind) as DiffKind,
      source: String(row.source),
      id: String(row.id),
      key: row.key === null ? null : String(row.key),
      platform: row.platform === null ? null : String(row.platform),
      changes: fieldChanges(row.changes)
    })))
})
