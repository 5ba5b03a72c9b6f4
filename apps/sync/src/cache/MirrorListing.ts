import type { ListConnectionsParams } from "@picasync/client"

/** SQL with its `?` arguments, run on the mirror's libSQL connection. */
export interface Statement {
  readonly sql: string
  readonly args: Array<string | number>
}

/** An empty value filters nothing, as the API reads a parameter sent empty. */
const text = (value: string | undefined) => (value === undefined || value === "" ? undefined : value)

/** A list's items as the API splits them: trimmed, empty ones dropped; none left filters nothing. */
const items = (list: ReadonlyArray<string> | undefined) => {
  const kept = list?.map((item) => item.trim()).filter((item) => item !== "")
  return kept === undefined || kept.length === 0 ? undefined : kept
}

const placeholders = (values: ReadonlyArray<unknown>) => values.map(() => "?").join(", ")

/** The exact-match parameters and the column each one compares. */
const exactColumns = {
  platformVersion: "platform_version",
  name: "name",
  identityType: "identity_type",
  identity: "identity",
  platform: "platform"
} as const

/**
 * The live connections of `source` that `params` select, with the API's semantics: `active` defaults to
 * true, `key` and `tags` match any of their items, the rest match exactly. The typed columns hold a field
 * only where the row had it as text, so a null or missing field matches nothing, as on the server.
 */
export const where = (source: string, params: ListConnectionsParams): Statement => {
  const clauses = ["c.source = ?", "c.deleted_at IS NULL", "c.active = ?"]
  const args: Array<string | number> = [source, params.active === false ? 0 : 1]
  const keys = items(params.key)
  if (keys !== undefined) {
    clauses.push(`c.key IN (${placeholders(keys)})`)
    args.push(...keys)
  }
  for (const [param, column] of Object.entries(exactColumns)) {
    const value = text(params[param as keyof typeof exactColumns])
    if (value === undefined) continue
    clauses.push(`c.${column} = ?`)
    args.push(value)
  }
  const tags = items(params.tags)
  if (tags !== undefined) {
    clauses.push(`c.id IN (SELECT t.connection_id FROM connection_tags t WHERE t.source = ? AND t.tag IN (${placeholders(tags)}))`)
    args.push(source, ...tags)
  }
  return { sql: `FROM connections c WHERE ${clauses.join(" AND ")}`, args }
}

/** The API's order: newest first, ties by id. */
const ORDER = "ORDER BY c.created_at DESC, c.id ASC"

/** How many connections `params` select. */
export const count = (selection: Statement): Statement => ({ sql: `SELECT count(*) AS n ${selection.sql}`, args: selection.args })

/** The raw JSON of one page of the selection. */
export const page = (selection: Statement, limit: number, page: number): Statement => ({
  sql: `SELECT c.raw ${selection.sql} ${ORDER} LIMIT ? OFFSET ?`,
  args: [...selection.args, limit, (page - 1) * limit]
})

/** Every selected id, in the API's order: a stream reads its pages by id instead of by an offset rescanned each page. */
export const ids = (selection: Statement): Statement => ({ sql: `SELECT c.id ${selection.sql} ${ORDER}`, args: selection.args })

/** The raw JSON of the rows `ids` names, in that order; a row tombstoned since is left out. */
export const rowsById = (source: string, ids: ReadonlyArray<string>): Statement => ({
  sql: `SELECT c.raw FROM json_each(?) j JOIN connections c ON c.source = ? AND c.id = j.value
    WHERE c.deleted_at IS NULL ORDER BY j.key`,
  args: [JSON.stringify(ids), source]
})

/** The raw JSON of one live connection. */
export const byId = (source: string, id: string): Statement => ({
  sql: "SELECT c.raw FROM connections c WHERE c.source = ? AND c.id = ? AND c.deleted_at IS NULL",
  args: [source, id]
})

/**
 * The latest sync of each source that committed: the runs that listed pages, so a write through the
 * cache, recorded as a run of one connection, never counts as a sync of the whole inventory.
 */
export const lastSyncs = (source: string | undefined): Statement => ({
  sql: `SELECT source, max(id) AS run_id, finished_at FROM sync_runs
    WHERE status = 'succeeded' AND pages_fetched > 0${source === undefined ? "" : " AND source = ?"}
    GROUP BY source ORDER BY source`,
  args: source === undefined ? [] : [source]
})
