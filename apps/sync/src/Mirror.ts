import { type SQL, sql } from "drizzle-orm"
import * as Effect from "effect/Effect"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import type { ChangeKind } from "./db/schema.js"
import * as Staging from "./Staging.js"
import * as Versions from "./Versions.js"

/** What applying one run changed in the mirror. */
export interface MirrorCounts {
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
  readonly deleted: number
  readonly restored: number
}

export interface StagedRun {
  readonly staging: Staging.Staging
  /** ISO 8601; stamps every row and change this run writes. */
  readonly now: string
  /**
   * Whether live mirror rows the run did not stage are gone: false when the listing may be
   * incomplete (a row without a usable id) or a missing row could not be confirmed gone.
   */
  readonly tombstone: boolean
  /** The kinds of change to queue as notifications in `notification_outbox`; none when absent. */
  readonly notify?: ReadonlyArray<ChangeKind> | undefined
}

/** The run's staging table, as `s`. */
const staged = (run: StagedRun) => sql.raw(`${run.staging.table} s`)

/** Staged rows whose content the mirror lacked when they were staged. */
const changed = sql`s.kind = 'changed'`

/**
 * Changed staged rows and the mirror row of the same connection, if any. Rows staged as unchanged
 * need no write: the source's lock kept the mirror as it was.
 */
const stagedWithMirror = (run: StagedRun) => sql`
  FROM ${staged(run)}
  LEFT JOIN connections c ON c.source = ${run.staging.source} AND c.id = s.id
  WHERE ${changed}`

/** Live mirror rows of the source that the run did not stage: gone from the API. */
const missingFromStaging = (run: StagedRun) => Staging.liveButNotStaged(run.staging)

/** `{ field: { old, new } }` over the API fields (unknown ones included) whose JSON differs. */
const changedFields = sql`(
  SELECT json_group_object(k.key, json_object('old', c.raw -> k.key, 'new', s.raw -> k.key))
  FROM (SELECT key FROM json_each(c.raw) UNION SELECT key FROM json_each(s.raw)) k
  WHERE (c.raw -> k.key) IS NOT (s.raw -> k.key))`

const recordChanges = (run: StagedRun) => ({
  upserts: sql`INSERT INTO connection_changes (run_id, source, connection_id, kind, changed_fields, observed_at)
    SELECT ${run.staging.runId}, ${run.staging.source}, s.id,
      CASE WHEN c.id IS NULL THEN 'inserted' WHEN c.deleted_at IS NULL THEN 'updated' ELSE 'restored' END,
      CASE WHEN c.id IS NULL OR c.content_hash = s.content_hash THEN NULL ELSE ${changedFields} END,
      ${run.now}
    ${stagedWithMirror(run)}
      AND (c.id IS NULL OR c.content_hash <> s.content_hash OR c.deleted_at IS NOT NULL)
    ORDER BY s.id`,
  tombstones: sql`INSERT INTO connection_changes (run_id, source, connection_id, kind, observed_at)
    SELECT ${run.staging.runId}, ${run.staging.source}, id, 'deleted', ${run.now} FROM connections WHERE ${missingFromStaging(run)}`
})

/**
 * A text field of the row, or NULL when it is absent, null or not text. A row the client read has only
 * text or null there, so one lookup does; a row it could not read (`decode_issue`) may hold anything.
 */
const text = (field: string) =>
  sql.raw(`CASE WHEN s.decode_issue IS NULL THEN s.raw ->> '$.${field}'
    WHEN json_type(s.raw, '$.${field}') = 'text' THEN s.raw ->> '$.${field}' END`)

/** Inserts new rows and rewrites only those whose content changed or that come back from a tombstone. */
const upsertConnections = (run: StagedRun) =>
  sql`INSERT INTO connections (source, id, key, platform, platform_version, name, type, environment, identity,
      identity_type, description, state, version, active, created_at, tags, raw, content_hash, decode_issue,
      first_seen_at, last_seen_at, deleted_at)
    SELECT ${run.staging.source}, s.id, ${text("key")}, ${text("platform")}, ${text("platformVersion")}, ${text("name")},
      ${text("type")}, ${text("environment")}, ${text("identity")}, ${text("identityType")}, ${text("description")},
      ${text("state")}, ${text("version")},
      CASE WHEN s.decode_issue IS NULL THEN coalesce(s.raw ->> '$.active', s.listed_active)
        ELSE CASE json_type(s.raw, '$.active') WHEN 'true' THEN 1 WHEN 'false' THEN 0 ELSE s.listed_active END END,
      ${text("createdAt")},
      CASE WHEN s.decode_issue IS NULL THEN coalesce(nullif(s.raw -> '$.tags', 'null'), '[]')
        WHEN json_type(s.raw, '$.tags') = 'array' THEN s.raw -> '$.tags' ELSE '[]' END,
      s.raw, s.content_hash, s.decode_issue, ${run.now}, ${run.now}, NULL
    FROM ${staged(run)} WHERE ${changed}
    -- In id order, each index on connections grows at its end instead of at random places.
    ORDER BY s.id
    ON CONFLICT (source, id) DO UPDATE SET
      key = excluded.key, platform = excluded.platform, platform_version = excluded.platform_version,
      name = excluded.name, type = excluded.type, environment = excluded.environment, identity = excluded.identity,
      identity_type = excluded.identity_type, description = excluded.description, state = excluded.state,
      version = excluded.version, active = excluded.active, created_at = excluded.created_at, tags = excluded.tags,
      raw = excluded.raw, content_hash = excluded.content_hash, decode_issue = excluded.decode_issue,
      last_seen_at = excluded.last_seen_at, deleted_at = NULL
    WHERE connections.content_hash <> excluded.content_hash OR connections.deleted_at IS NOT NULL`

const tombstoneMissing = (run: StagedRun) =>
  sql`UPDATE connections SET deleted_at = ${run.now} WHERE ${missingFromStaging(run)}`

/** The tag rows of connections this run inserted or whose tags it changed; tombstones keep theirs. */
const replaceTags = (run: StagedRun) => {
  const retagged = sql`SELECT connection_id FROM connection_changes
    WHERE run_id = ${run.staging.runId} AND (kind = 'inserted' OR changed_fields -> '$.tags' IS NOT NULL)`
  return [
    sql`DELETE FROM connection_tags WHERE source = ${run.staging.source} AND connection_id IN (${retagged})`,
    sql`INSERT OR IGNORE INTO connection_tags (source, connection_id, tag)
      SELECT c.source, c.id, t.value FROM connections c, json_each(c.tags) t
      WHERE c.source = ${run.staging.source} AND c.id IN (${retagged})`
  ]
}

/**
 * Queues the run's changes of the `kinds` asked as notifications, with the connection as the mirror
 * now holds it, in the apply's transaction: they exist exactly when the changes do.
 */
const queueNotifications = (run: StagedRun, kinds: ReadonlyArray<ChangeKind>) =>
  sql`INSERT INTO notification_outbox (id, change_id, run_id, source, kind, payload, created_at)
    SELECT lower(hex(randomblob(16))), ch.id, ch.run_id, ch.source, ch.kind,
      json_object('kind', ch.kind, 'source', ch.source, 'run_id', ch.run_id, 'connection_id', ch.connection_id,
        'platform', c.platform, 'environment', c.environment, 'state', c.state,
        'changed_fields', json(ch.changed_fields), 'observed_at', ch.observed_at),
      ${run.now}
    FROM connection_changes ch
    JOIN connections c ON c.source = ch.source AND c.id = ch.connection_id
    WHERE ch.run_id = ${run.staging.runId} AND ch.kind IN (${sql.join(kinds.map((kind) => sql`${kind}`), sql`, `)})
    ORDER BY ch.id`

/** The tables a first apply fills from nothing, whose indexes it builds once they hold their rows. */
const filledTables = ["connections", "connection_tags"]

/**
 * On an empty mirror, drops the indexes of the tables the apply fills and returns their definitions, to be built
 * again as they were once the rows are in: sorting 100,000 rows once costs less than keeping six indexes in order row
 * by row. Nothing in the apply reads them there, and the transaction hides their absence from every other reader.
 */
const setIndexesAside = Effect.fn("Mirror.setIndexesAside")(function*() {
  const db = yield* MirrorDatabase
  const [filled] = yield* db.execute<{ rows: number }>(
    "mirror update",
    sql`SELECT ${sql.join(filledTables.map((table) => sql`EXISTS (SELECT 1 FROM ${sql.identifier(table)})`), sql` OR `)} AS rows`
  )
  if (filled === undefined || Number(filled.rows) !== 0) return []
  const indexes = yield* db.execute<{ name: string; sql: string }>(
    "mirror update",
    sql`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name IN (${
      sql.join(filledTables.map((table) => sql`${table}`), sql`, `)
    }) AND sql IS NOT NULL ORDER BY rowid`
  )
  for (const index of indexes) yield* db.execute("mirror update", sql`DROP INDEX ${sql.identifier(index.name)}`)
  return indexes.map((index) => sql.raw(index.sql))
})

/**
 * Applies a run's staged rows to the mirror: inserts, updates (by content hash), restores and
 * tombstones, each recorded in `connection_changes`, the past versions they end, and the tag rows that follow. With `tombstone`, the
 * staged rows must be the source's complete inventory, or every missing id must have been confirmed gone.
 * Run it inside `MirrorDatabase.transaction`, so all of it lands at commit or none of it does.
 */
export const apply = Effect.fn("Mirror.apply")(function*(run: StagedRun) {
  const db = yield* MirrorDatabase
  const record = recordChanges(run)
  const setAside = yield* setIndexesAside()
  const statements: ReadonlyArray<SQL> = [
    record.upserts,
    ...(run.tombstone ? [record.tombstones] : []),
    // Once the change log names every row the run changes, and before it changes them: their versions end now.
    ...Versions.close({ runId: run.staging.runId, source: run.staging.source, now: run.now }),
    // Tombstones before the upsert: the rows it inserts are staged, so the scan for missing ones skips them.
    ...(run.tombstone ? [tombstoneMissing(run)] : []),
    upsertConnections(run),
    ...replaceTags(run),
    ...setAside,
    ...(run.notify !== undefined && run.notify.length > 0 ? [queueNotifications(run, run.notify)] : [])
  ]
  for (const statement of statements) {
    yield* db.execute("mirror update", statement)
  }
  const kinds = yield* db.execute<{ kind: ChangeKind; changes: number }>(
    "mirror update",
    sql`SELECT kind, count(*) AS changes FROM connection_changes WHERE run_id = ${run.staging.runId} GROUP BY kind`
  )
  const stagedRows = yield* run.staging.count
  const changes = (kind: ChangeKind) => kinds.find((row) => row.kind === kind)?.changes ?? 0
  const counts = {
    inserted: changes("inserted"),
    updated: changes("updated"),
    deleted: changes("deleted"),
    restored: changes("restored")
  }
  return { ...counts, unchanged: stagedRows - counts.inserted - counts.updated - counts.restored } satisfies MirrorCounts
})
