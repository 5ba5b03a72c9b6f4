import { Data, Either } from "effect"

/**
 * A stored connection. `id`, `createdAt` and `active` are always present because
 * the store orders and partitions by them; every other field is kept verbatim,
 * including unknown fields and enum values the API does not document.
 */
export interface Connection {
  readonly id: string
  readonly createdAt: string
  readonly active: boolean
  readonly [field: string]: unknown
}

/** Any subset of a connection's fields, plus unknown ones. */
export interface ConnectionInput {
  readonly [field: string]: unknown
}

export class ConnectionNotFound extends Data.TaggedError("ConnectionNotFound")<{ readonly id: string }> {}

export class ConnectionExists extends Data.TaggedError("ConnectionExists")<{ readonly id: string }> {}

export class InvalidConnection extends Data.TaggedError("InvalidConnection")<{ readonly message: string }> {}

export const identityTypes = ["user", "team", "organization", "project"] as const
export const states = ["operational", "degraded", "failed", "unknown"] as const
export const tagVocabulary = [
  "production",
  "staging",
  "billing",
  "crm",
  "support",
  "marketing",
  "internal",
  "sales",
  "analytics",
  "ops"
] as const

/** Store order: `createdAt` descending, then `id` ascending (API order too, unless ties are shuffled). */
export const compare = (a: Connection, b: Connection): number =>
  a.createdAt > b.createdAt ? -1 : a.createdAt < b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

/** The input as a connection, if it has the three fields the store orders and partitions by. */
export const check = (row: ConnectionInput): Either.Either<Connection, InvalidConnection> => {
  if (typeof row.id !== "string" || row.id === "") {
    return Either.left(new InvalidConnection({ message: "id must be a non-empty string" }))
  }
  if (typeof row.createdAt !== "string") {
    return Either.left(new InvalidConnection({ message: "createdAt must be a string" }))
  }
  if (typeof row.active !== "boolean") return Either.left(new InvalidConnection({ message: "active must be a boolean" }))
  return Either.right(row as Connection)
}
