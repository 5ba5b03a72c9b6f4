import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { Connection } from "./Connection.js"
import * as LegacyShape from "./LegacyShape.js"
import { Page } from "./Page.js"
import { bodyIssue, firstIssue, type Issue } from "./ParseIssue.js"
import { isPlainConnection } from "./PlainConnection.js"

/**
 * A row of a listing the client could not read as a `Connection`: where it was on its page,
 * whatever JSON it had, its id when it has a usable one, and the first problem found.
 */
export class UnreadableRow extends Schema.Class<UnreadableRow>("UnreadableRow")({
  /** 0-based position on its page. */
  position: Schema.NonNegativeInt,
  /** The row's `id` (or older `_id`) when it is a non-empty string. */
  id: Schema.optional(Schema.String),
  raw: Schema.Unknown,
  /** Where the first problem is, as `PicaDecodeError` names it: `rows[3].state`. */
  path: Schema.String,
  reason: Schema.String
}) {
  get message() {
    return `row ${this.position}${this.id === undefined ? " (no usable id)" : ` (id ${this.id})`} unreadable at ${this.path}: ${this.reason}`
  }
}

/**
 * One page of `GET /v1/vault/connections`: the rows the client read and, beside them, the rows it
 * could not. One bad row never costs the page its other rows, and none is dropped unseen.
 */
export const ConnectionsPage = Schema.Struct({
  ...Page(Connection).fields,
  unreadable: Schema.Array(UnreadableRow)
}).annotations({ identifier: "ConnectionsPage" })
export type ConnectionsPage = typeof ConnectionsPage.Type

/** The envelope alone: a body without it is not a page at all. */
const decodeEnvelope = Schema.decodeUnknownEither(Page(Schema.Unknown))
const isCount = (value: unknown) => typeof value === "number" && Number.isSafeInteger(value) && value >= 0

/** The envelope as it came when plainly valid, which nearly every page is; the schema decides the rest. */
const envelopeOf = (json: unknown) => {
  if (typeof json === "object" && json !== null) {
    const { page, pages, rows, total } = json as Record<string, unknown>
    if (Array.isArray(rows) && isCount(total) && isCount(pages) && isCount(page)) {
      return Either.right({ rows: rows as ReadonlyArray<unknown>, total: total as number, pages: pages as number, page: page as number })
    }
  }
  return decodeEnvelope(json)
}
const decodeConnection = Schema.decodeUnknownEither(Connection)

const usableId = (row: unknown): string | undefined => {
  if (typeof row !== "object" || row === null) return undefined
  const { _id, id } = row as Record<string, unknown>
  const candidate = id ?? _id
  return typeof candidate === "string" && candidate.trim() !== "" ? candidate : undefined
}

/** Reads one row: the row itself when plain, the schema's result otherwise. */
const readRow = (raw: unknown, position: number): Either.Either<Connection, UnreadableRow> => {
  const row = LegacyShape.upgrade(raw)
  if (isPlainConnection(row)) return Either.right(row as Connection)
  return Either.mapLeft(decodeConnection(row), (error) => {
    const issue = firstIssue(error)
    const id = usableId(raw)
    return new UnreadableRow({
      position,
      ...(id === undefined ? {} : { id }),
      raw,
      path: issue.path === "" ? `rows[${position}]` : `rows[${position}].${issue.path}`,
      reason: issue.message
    })
  })
}

/**
 * A connections page from parsed JSON, or the first problem with its envelope (`rows`, `total`,
 * `pages`, `page`). Rows are read one by one.
 */
export const read = (json: unknown): Either.Either<ConnectionsPage, Issue> =>
  Either.map(
    Either.mapLeft(envelopeOf(json), bodyIssue),
    (envelope) => {
      const rows: Array<Connection> = []
      const unreadable: Array<UnreadableRow> = []
      envelope.rows.forEach((raw, position) => {
        const row = readRow(raw, position)
        if (Either.isRight(row)) rows.push(row.right)
        else unreadable.push(row.left)
      })
      return { rows, unreadable, total: envelope.total, pages: envelope.pages, page: envelope.page }
    }
  )

/** One connection (`GET /v1/vault/connections/{id}` and PATCH answers), in either shape. */
export const ConnectionFromWire = Schema.compose(
  Schema.transform(Schema.Unknown, Schema.Unknown, { strict: true, decode: LegacyShape.upgrade, encode: (row) => row }),
  Connection,
  { strict: false }
)
