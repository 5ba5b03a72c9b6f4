import * as Either from "effect/Either"

/** PRAGMAs that only read; any other, or any PRAGMA with `=`, may write and is refused. */
const readOnlyPragmas = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_list",
  "index_info",
  "index_xinfo",
  "foreign_key_list",
  "database_list",
  "collation_list",
  "function_list",
  "pragma_list",
  "compile_options",
  "user_version",
  "schema_version",
  "page_count",
  "page_size",
  "freelist_count",
  "journal_mode",
  "encoding",
  "foreign_keys",
  "integrity_check",
  "quick_check"
])

/** Statements that start by reading; a CTE that writes is stopped by the engine (`query_only`). */
const readingKeywords = new Set(["select", "with", "values", "explain"])

const parameterName = /[A-Za-z_][A-Za-z0-9_]*/y
const wordAt = /[A-Za-z_][A-Za-z0-9_$]*/y

/** The text `pattern` (sticky) matches at `index` of `sql`, if it matches there. */
const matchAt = (pattern: RegExp, sql: string, index: number): string | undefined => {
  pattern.lastIndex = index
  return pattern.exec(sql)?.[0]
}

/**
 * The statement's words and punctuation outside string literals, quoted identifiers and
 * comments, so a `;` or a keyword inside a string counts for nothing.
 */
export const tokens = (sql: string): Array<string> => {
  const out: Array<string> = []
  let i = 0
  while (i < sql.length) {
    const c = sql.charAt(i)
    const name = c === ":" || c === "@" || c === "$" ? matchAt(parameterName, sql, i + 1) : undefined
    if (/\s/.test(c)) i++
    else if (c === "-" && sql[i + 1] === "-") i = sql.indexOf("\n", i) === -1 ? sql.length : sql.indexOf("\n", i)
    else if (c === "/" && sql[i + 1] === "*") i = sql.indexOf("*/", i + 2) === -1 ? sql.length : sql.indexOf("*/", i + 2) + 2
    else if (c === "'" || c === "\"" || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c
      let j = i + 1
      while (j < sql.length && !(sql[j] === close && sql[j + 1] !== close)) j += sql[j] === close ? 2 : 1
      out.push(c === "'" ? "'…'" : "\"…\"")
      i = j + 1
    } else if (name !== undefined) {
      out.push(`:${name}`)
      i += name.length + 1
    } else {
      const word = matchAt(wordAt, sql, i)
      out.push(word === undefined ? c : word.toLowerCase())
      i += word === undefined ? 1 : word.length
    }
  }
  return out
}

/**
 * Accepts one statement that reads, or says why not. This is the first of two guards: the
 * statement then runs with `PRAGMA query_only` in a transaction that is always rolled back.
 */
export const checkReadOnly = (sql: string): Either.Either<string, string> => {
  const all = tokens(sql)
  const [statement, ...others] = all.join(" ").split(";").map((s) => s.trim()).filter((s) => s !== "")
  if (statement === undefined) return Either.left("the SQL is empty; give one SELECT statement")
  if (others.length > 0) return Either.left("give one statement at a time; this SQL holds several, separated by ';'")
  const words = statement.split(" ").filter((word) => word !== "(")
  const first = words[0] ?? ""
  if (readingKeywords.has(first)) return Either.right(sql)
  if (first === "pragma") {
    const name = words[2] === "." ? words[3] ?? "" : words[1] ?? ""
    if (!words.includes("=") && readOnlyPragmas.has(name)) return Either.right(sql)
    return Either.left(`PRAGMA ${name} can change the database; picasync query only reads (use a read-only PRAGMA such as table_info)`)
  }
  return Either.left(
    `${first.toUpperCase()} statements change the database; picasync query only reads (SELECT, WITH, VALUES, EXPLAIN)`
  )
}

/** The named parameters (`:name`, `@name`, `$name`) the statement uses; `?` counts as an unnamed one. */
export const parameters = (sql: string): { readonly named: ReadonlySet<string>; readonly unnamed: boolean } => {
  const all = tokens(sql)
  return {
    named: new Set(all.filter((token) => token.length > 1 && token.startsWith(":")).map((token) => token.slice(1))),
    unnamed: all.includes("?")
  }
}
