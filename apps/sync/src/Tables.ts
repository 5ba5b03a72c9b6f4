import * as Effect from "effect/Effect"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import * as Staging from "./Staging.js"

export interface Column {
  readonly name: string
  readonly type: string
}

export interface TableInfo {
  readonly name: string
  readonly kind: "table" | "view"
  readonly description: string
  readonly columns: ReadonlyArray<Column>
  /** Present when counted. */
  readonly rows?: number
}

/** What each table and view is for, so a newcomer can write a query without reading the code. */
const descriptions: Record<string, string> = {
  connections: "one row per connection and source: every API field, tags as JSON, raw as received, deleted_at for tombstones",
  connection_tags: "one row per tag of a connection, for joins",
  connection_changes: "one row per change a sync observed: inserted, updated (changed_fields: old and new), deleted, restored",
  sync_runs: "one row per sync run: status, counts, drift, the error of a failed run",
  unreadable_rows: "rows the client could not read, with where and why (path, reason) and the raw JSON",
  sync_locks: "internal: the sync holding each source",
  live_connections: "connections not tombstoned",
  unhealthy_connections: "live connections degraded, failed or unknown, with since when",
  connections_by_platform: "live connections counted by platform, environment and state",
  tag_usage: "each tag with how many live connections carry it",
  recent_changes: "the change log joined to connections, newest first",
  state_changes: "each change of state (operational → failed, …), newest first",
  connection_versions: "every version of every connection, the present one included: the row as it stood from valid_from to valid_to",
  connection_past_versions: "the versions a sync replaced (connection_versions without the present ones)",
  history_horizons: "per source, the earliest moment query --as-of and diff answer for",
  notification_outbox: "change notifications of sync --notify-url: payload, attempts, last_error, delivered_at",
  undelivered_notifications: "notifications not delivered yet, oldest first, with their last error"
}

const stagingDescription = "internal: the rows a running sync has fetched, before they are applied; dropped when it ends"

const quoted = (name: string) => `"${name.replaceAll("\"", "\"\"")}"`

/** Tables and views of the mirror with their columns, and row counts when asked. */
export const list = Effect.fn("Tables.list")(function*(options: { readonly counts: boolean }) {
  const db = yield* MirrorDatabase
  return yield* db.readOnly("tables", async (tx) => {
    const objects = (await tx.execute(
      `SELECT name, type FROM sqlite_schema
       WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_\\_drizzle%' ESCAPE '\\'
       ORDER BY type, rowid`
    )).rows
    const tables: Array<TableInfo> = []
    for (const object of objects) {
      const name = String(object.name)
      const columns = (await tx.execute({ sql: "SELECT name, type FROM pragma_table_info(?)", args: [name] })).rows
        .map((column) => ({ name: String(column.name), type: String(column.type) }))
      const rows = options.counts
        ? { rows: Number((await tx.execute(`SELECT count(*) AS n FROM ${quoted(name)}`)).rows[0]?.n ?? 0) }
        : {}
      tables.push({
        name,
        kind: object.type === "view" ? "view" : "table",
        description: descriptions[name] ?? (name.startsWith(Staging.TABLE_PREFIX) ? stagingDescription : ""),
        columns,
        ...rows
      })
    }
    return tables
  })
})
