import * as Effect from "effect/Effect"
import { MirrorDatabase } from "../db/MirrorDatabase.js"
import * as Versions from "../Versions.js"
import { tokens } from "./Statement.js"

/**
 * The tables whose past the versions hold, as they stood at `at`. A `main.` name reaches the table itself,
 * where a bare one would name the CTE.
 */
const pastTables = (at: string): ReadonlyArray<readonly [string, string]> => [
  ["connections", Versions.connectionsAt(at)],
  ["connection_tags", "SELECT DISTINCT c.source, c.id AS connection_id, t.value AS tag FROM connections c, json_each(c.tags) t"],
  ["connection_changes", `SELECT * FROM main.connection_changes WHERE observed_at <= ${Versions.quoted(at)}`]
]

export interface View {
  readonly name: string
  /** `CREATE VIEW …`, as `sqlite_schema` keeps it. */
  readonly sql: string
}

/** Views over the history itself, which read the same at any moment: never rewritten. */
const historyViews = new Set(["connection_versions"])

const viewParts = /^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?([\s\S]+?)\s+AS\s+([\s\S]*)$/i

/** The views built, directly or through one another, on a table in `names`: each as a CTE of the same name. */
const dependentViews = (views: ReadonlyArray<View>, names: ReadonlyArray<string>) => {
  const shadowed = new Set(names)
  const parsed = views.flatMap((view) => {
    const [, head, body] = viewParts.exec(view.sql) ?? []
    return head === undefined || body === undefined ? [] : [{ name: view.name.toLowerCase(), head, body, words: new Set(tokens(body)) }]
  })
  const chosen: Array<(typeof parsed)[number]> = []
  let grew = true
  while (grew) {
    grew = false
    for (const view of parsed) {
      if (shadowed.has(view.name) || historyViews.has(view.name) || ![...shadowed].some((name) => view.words.has(name))) continue
      shadowed.add(view.name)
      chosen.push(view)
      grew = true
    }
  }
  // A line comment at a body's end must not swallow the closing parenthesis.
  return chosen.map((view) => `${view.head} AS (${view.body}\n)`)
}

/** Where the statement's first word starts, past blanks and comments. */
const firstWordAt = (sql: string, from: number): number => {
  let i = from
  while (i < sql.length) {
    if (/\s/.test(sql.charAt(i))) i++
    else if (sql.startsWith("--", i)) i = sql.indexOf("\n", i) === -1 ? sql.length : sql.indexOf("\n", i)
    else if (sql.startsWith("/*", i)) i = sql.indexOf("*/", i + 2) === -1 ? sql.length : sql.indexOf("*/", i + 2) + 2
    else return i
  }
  return i
}

/** `sql` with `ctes` defined ahead of it: in its own WITH clause when it has one, else in a new one. */
const withCtes = (sql: string, ctes: string, from = 0): string => {
  const start = firstWordAt(sql, from)
  const rest = sql.slice(start)
  const explain = /^explain(\s+query\s+plan)?\b/i.exec(rest)
  if (explain !== null) return withCtes(sql, ctes, start + explain[0].length)
  const head = sql.slice(0, start)
  const withClause = /^with(\s+recursive)?\b/i.exec(rest)
  if (withClause !== null) return `${head}${withClause[0]} ${ctes},${rest.slice(withClause[0].length)}`
  if (/^(select|values)\b/i.test(rest)) return `${head}WITH ${ctes}\n${rest}`
  return sql
}

/**
 * `sql` rewritten to read the mirror as it stood at the instant `at`: `connections`, `connection_tags`,
 * `connection_changes` and every view built on them become CTEs of the same names, which shadow the tables
 * and views for the whole statement. Plain SQL, so it runs wherever the statement could, a read-only token
 * on a libSQL server included. A PRAGMA is left as it is.
 */
export const rewrite = Effect.fn("AsOf.rewrite")(function*(sql: string, at: string) {
  const db = yield* MirrorDatabase
  const views = yield* db.readOnly("query", async (tx) =>
    (await tx.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'view' ORDER BY rowid")).rows.map((row): View => ({
      name: String(row.name),
      sql: String(row.sql)
    })))
  const tables = pastTables(at)
  const ctes = [
    ...tables.map(([name, body]) => `${name} AS (${body})`),
    ...dependentViews(views, tables.map(([name]) => name))
  ].join(",\n")
  return withCtes(sql, ctes)
})
