import * as ParseResult from "effect/ParseResult"

/** The first thing wrong in a parse error, with its path written as `rows[3].id`. */
export const firstIssue = (error: ParseResult.ParseError): { readonly path: string; readonly message: string } => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  const path = (issue?.path ?? []).reduce<string>(
    (out, key) => (typeof key === "number" ? `${out}[${key}]` : out === "" ? String(key) : `${out}.${String(key)}`),
    ""
  )
  return { path, message: issue?.message ?? "does not match" }
}

/** The first problem found in a body: where (`body` when at its top), and what. */
export interface Issue {
  readonly path: string
  readonly reason: string
}

export const bodyIssue = (error: ParseResult.ParseError): Issue => {
  const { message, path } = firstIssue(error)
  return { path: path === "" ? "body" : path, reason: message }
}
