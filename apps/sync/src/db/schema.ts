import { sql } from "drizzle-orm"
import { index, integer, primaryKey, type SQLiteColumn, sqliteTable, text } from "drizzle-orm/sqlite-core"

// Instants are ISO 8601 text, so SQL reads and compares them naturally.

/** The columns a connection row has, in the mirror and in each of its versions: fresh builders for each table. */
const connectionColumns = () => ({
  /** Null only on a row the client could not read (see `decode_issue`). */
  key: text("key"),
  platform: text("platform"),
  platformVersion: text("platform_version"),
  name: text("name"),
  type: text("type"),
  environment: text("environment"),
  identity: text("identity"),
  identityType: text("identity_type"),
  description: text("description"),
  state: text("state"),
  version: text("version"),
  /** From the listing the row came in when the row itself does not say. */
  active: integer("active", { mode: "boolean" }).notNull(),
  createdAt: text("created_at"),
  /** JSON array; `[]` for rows that carry no tags (older shape, or `null`). */
  tags: text("tags").notNull().default(sql`'[]'`),
  raw: text("raw").notNull(),
  contentHash: text("content_hash").notNull(),
  /** Set when the client could not read the row: `path: reason`. It is mirrored from its raw JSON all the same. */
  decodeIssue: text("decode_issue"),
  firstSeenAt: text("first_seen_at").notNull(),
  /** When a sync last wrote this row (inserted, updated or restored); unchanged rows are not rewritten. */
  lastSeenAt: text("last_seen_at").notNull(),
  deletedAt: text("deleted_at")
})

type ListingColumns = Record<"source" | "active" | "deletedAt" | "createdAt" | "id", SQLiteColumn>

/** A listing filtered on `column`: its count, and its page in the API's order, from the index alone. */
const listingIndex = (name: string, table: ListingColumns, column: SQLiteColumn) =>
  index(name).on(table.source, column, table.active, table.deletedAt, sql`${table.createdAt} DESC`, table.id)

/**
 * One row per connection and source. Typed columns are extracted from `raw`, the row as the API
 * sent it (unknown fields included); the API may leave out or null any field but `id` and `key`,
 * so they are all nullable. A row is rewritten only when its `content_hash` changes.
 */
export const connections = sqliteTable(
  "connections",
  {
    source: text("source").notNull(),
    id: text("id").notNull(),
    ...connectionColumns()
  },
  (table) => [
    primaryKey({ columns: [table.source, table.id] }),
    // Covers every lookup a sync makes by id (is this content new? which live rows went unseen?) without reading the raw
    // JSON, and a tag listing's check of each tagged connection (`MirrorPicaClient`).
    index("connections_sync_idx").on(table.source, table.id, table.contentHash, table.deletedAt, table.active),
    // A listing's count, and its page in the API's order, from the index alone (`MirrorPicaClient`): unfiltered, by
    // platform (which also serves any lookup by platform), and by identity type.
    index("connections_listing_idx").on(table.source, table.active, table.deletedAt, sql`${table.createdAt} DESC`, table.id),
    listingIndex("connections_platform_listing_idx", table, table.platform),
    listingIndex("connections_identity_type_listing_idx", table, table.identityType),
    // Covers the read commands' counts of live connections (by state, environment, platform, active) and the unhealthy ones.
    index("connections_live_idx").on(
      table.source,
      table.deletedAt,
      table.state,
      table.active,
      table.environment,
      table.platform,
      table.id
    )
  ]
)

/** One row per tag of a connection, for joins; kept for tombstoned connections too. */
export const connectionTags = sqliteTable(
  "connection_tags",
  {
    source: text("source").notNull(),
    connectionId: text("connection_id").notNull(),
    tag: text("tag").notNull()
  },
  (table) => [
    primaryKey({ columns: [table.source, table.connectionId, table.tag] }),
    // With the connection's id, so a tag listing finds its connections from the index alone.
    index("connection_tags_tag_idx").on(table.source, table.tag, table.connectionId)
  ]
)

export const changeKinds = ["inserted", "updated", "deleted", "restored"] as const
export type ChangeKind = (typeof changeKinds)[number]

/** One row per change a sync observed; never updated or deleted. */
export const connectionChanges = sqliteTable(
  "connection_changes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: integer("run_id").notNull(),
    source: text("source").notNull(),
    connectionId: text("connection_id").notNull(),
    kind: text("kind", { enum: changeKinds }).notNull(),
    /** For `updated` and `restored`: `{ "<api field>": { "old": ..., "new": ... } }` of the fields that changed. */
    changedFields: text("changed_fields"),
    observedAt: text("observed_at").notNull()
  },
  (table) => [
    index("connection_changes_connection_idx").on(table.source, table.connectionId),
    index("connection_changes_run_idx").on(table.runId),
    // When each connection entered its current state (`unhealthy_connections.state_since`): one seek to its newest such change.
    index("connection_changes_state_idx").on(table.source, table.connectionId, table.observedAt).where(
      sql`kind IN ('inserted', 'restored') OR changed_fields -> '$.state' IS NOT NULL`
    )
  ]
)

export const runStatuses = ["running", "succeeded", "failed", "interrupted"] as const
export type RunStatus = (typeof runStatuses)[number]

/** One row per sync run, written outside the mirror's transaction so a failed run stays recorded. */
export const syncRuns = sqliteTable(
  "sync_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    source: text("source").notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    status: text("status", { enum: runStatuses }).notNull(),
    pagesFetched: integer("pages_fetched").notNull().default(0),
    rowsFetched: integer("rows_fetched").notNull().default(0),
    /** Connections fetched one by one (`GET /v1/vault/connections/{id}`) to confirm a deletion after drift. */
    idsChecked: integer("ids_checked").notNull().default(0),
    inserted: integer("inserted").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    unchanged: integer("unchanged").notNull().default(0),
    deleted: integer("deleted").notNull().default(0),
    restored: integer("restored").notNull().default(0),
    driftDetected: integer("drift_detected", { mode: "boolean" }).notNull().default(false),
    /** Rows the server counted in `total` but never listed (the real server hides rows whose connector is missing). */
    rowsUnlisted: integer("rows_unlisted").notNull().default(0),
    /** Rows the client could not read; each is in `unreadable_rows`. */
    rowsUnreadable: integer("rows_unreadable").notNull().default(0),
    /** Live mirror rows missing from the listing that could not be confirmed gone (no GET by id): kept, not tombstoned. */
    idsUnconfirmed: integer("ids_unconfirmed").notNull().default(0),
    /** Pages read again because rows sharing a `createdAt` straddled a page boundary (the API orders such rows anew on each request). */
    tieRereads: integer("tie_rereads").notNull().default(0),
    /** `limit` of the pages after the first: asked for (`--page-size`), or learned from what the server gives. Null before 0007. */
    pageSize: integer("page_size"),
    error: text("error")
  },
  (table) => [index("sync_runs_source_idx").on(table.source, table.id)]
)

/** At most one sync per source holds this row; a dead holder's row is taken over. */
export const syncLocks = sqliteTable("sync_locks", {
  source: text("source").primaryKey(),
  /** Random per holder, so only the holder refreshes or releases it. */
  holder: text("holder").notNull(),
  pid: integer("pid").notNull(),
  /** For messages only: two machines may share a name. */
  hostname: text("hostname").notNull(),
  /** Where `pid` means something: the holder's kernel boot and pid namespace (`Machine.id`). */
  machine: text("machine"),
  /** Both on the database server's clock, so machines with skewed clocks agree on staleness. */
  acquiredAt: text("acquired_at").notNull(),
  heartbeatAt: text("heartbeat_at").notNull(),
  /** Set while the holder applies a run: other syncs hold their writes back so the server does not end its transaction. */
  applyingSince: text("applying_since")
})

/** Every row of a listing the client could not read, by run: kept whether or not the run succeeds. */
export const unreadableRows = sqliteTable(
  "unreadable_rows",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: integer("run_id").notNull(),
    source: text("source").notNull(),
    /** Null when the row had no usable id: then that run tombstones nothing. */
    connectionId: text("connection_id"),
    /** Which listing, page and 0-based position on the page it came at. */
    listedActive: integer("listed_active", { mode: "boolean" }).notNull(),
    page: integer("page").notNull(),
    position: integer("position").notNull(),
    /** Where the first problem is, e.g. `rows[3].state`. */
    path: text("path").notNull(),
    reason: text("reason").notNull(),
    /** The row as the API sent it. */
    raw: text("raw").notNull(),
    observedAt: text("observed_at").notNull()
  },
  (table) => [index("unreadable_rows_run_idx").on(table.runId)]
)

/**
 * Change notifications waiting to be sent, written in the mirror's transaction (a rolled-back run
 * leaves none) and marked delivered only once the receiver answered 2xx: never lost, never invented.
 */
export const notificationOutbox = sqliteTable(
  "notification_outbox",
  {
    /** Random, fixed once written: the same on every redelivery, so a receiver deduplicates by it. */
    id: text("id").primaryKey(),
    /** The `connection_changes` row it tells of; events go out in this order. */
    changeId: integer("change_id").notNull().unique(),
    runId: integer("run_id").notNull(),
    source: text("source").notNull(),
    kind: text("kind", { enum: changeKinds }).notNull(),
    /** The event as sent, but for its `id`. */
    payload: text("payload").notNull(),
    createdAt: text("created_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    lastAttemptAt: text("last_attempt_at"),
    deliveredAt: text("delivered_at")
  },
  (table) => [index("notification_outbox_pending_idx").on(table.deliveredAt, table.changeId)]
)

/**
 * Every past version of every mirror row: the `connections` row as it stood from `valid_from` until `valid_to`, both
 * the stamps of the runs that wrote and replaced it. A row's present version is the row itself, valid since
 * `coalesce(deleted_at, last_seen_at)`, so a run copies here only the rows it is about to change, and a first sync
 * writes nothing. A tombstone is a version too (`deleted_at` set), so at any moment each connection the mirror held
 * has exactly one version. The view `connection_versions` joins both. Written in the apply's transaction (`Versions.close`).
 */
export const connectionPastVersions = sqliteTable(
  "connection_past_versions",
  {
    versionId: integer("version_id").primaryKey({ autoIncrement: true }),
    source: text("source").notNull(),
    id: text("id").notNull(),
    ...connectionColumns(),
    validFrom: text("valid_from").notNull(),
    validTo: text("valid_to").notNull(),
    /** The runs that opened and closed the version; NULL where the migration found no run in the change log. */
    openedByRun: integer("opened_by_run"),
    closedByRun: integer("closed_by_run")
  },
  (table) => [
    // Each connection's versions in time order: its version at a moment is one seek, and with the columns most
    // counts group by, a count as of a moment reads the index alone.
    index("connection_past_versions_history_idx").on(
      table.source,
      table.id,
      table.validFrom,
      table.validTo,
      table.deletedAt,
      table.state,
      table.platform
    ),
    // One range scan finds the versions closed after a moment (the report's days, prune).
    index("connection_past_versions_closed_idx").on(
      table.validTo,
      table.validFrom,
      table.source,
      table.deletedAt,
      table.state,
      table.platform
    )
  ]
)

export const horizonReasons = ["first sync", "migration", "prune"] as const

/**
 * Per source, the earliest moment its versions answer for exactly: its first sync, where the migration
 * that created the versions could rebuild them from, or what `prune` kept.
 */
export const historyHorizons = sqliteTable("history_horizons", {
  source: text("source").primaryKey(),
  since: text("since").notNull(),
  reason: text("reason", { enum: horizonReasons }).notNull()
})
