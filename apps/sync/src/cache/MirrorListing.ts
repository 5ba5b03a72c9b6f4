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

/**
 * The text of one JSON array of `values` from the ordered subquery `p`, in its order (SQLite never flattens
 * an ordered subquery into an aggregate): a page comes back as one value, since handing JavaScript a row
 * at a time costs more than reading it.
 */
const jsonArray = (values: string) => `'[' || coalesce(group_concat(${values}, ','), '') || ']'`

/**
 * One page of the selection and how many it selects, in one statement, so both come from the same
 * committed state: `total`, and `rows`, the page's raw JSON as one array text.
 */
export const page = (selection: Statement, limit: number, page: number): Statement => ({
  sql: `SELECT (SELECT count(*) ${selection.sql}) AS total,
    (SELECT ${jsonArray("p.raw")} FROM (SELECT c.raw ${selection.sql} ${ORDER} LIMIT ? OFFSET ?) p) AS rows`,
  args: [...selection.args, ...selection.args, limit, (page - 1) * limit]
})

/**
 * Every selected id, in the API's order, as one JSON array text: a stream reads its pages by id instead
 * of by an offset rescanned each page.
 */
export const ids = (selection: Statement): Statement => ({
  sql: `SELECT json_group_array(p.id) AS ids FROM (SELECT c.id ${selection.sql} ${ORDER}) p`,
  args: selection.args
})

/**
 * The rows `ids` names, as one JSON array text of `[position in ids, raw JSON]`; a row tombstoned since
 * is left out. CROSS JOIN keeps the ids the outer loop: with no statistics on `json_each`, SQLite may
 * otherwise scan every connection once per id.
 */
export const rowsById = (source: string, ids: ReadonlyArray<string>): Statement => ({
  sql: `SELECT ${jsonArray("'[' || p.key || ',' || p.raw || ']'")} AS rows
    FROM (SELECT j.key, c.raw FROM json_each(?) j CROSS JOIN connections c ON c.source = ? AND c.id = j.value
      WHERE c.deleted_at IS NULL ORDER BY j.key) p`,
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
