// The native client alone: it shares this class with the server clients, without loading them.
import { LibsqlError } from "@libsql/client/sqlite3"
import { UrlCredentials } from "@picasync/client"
import { DrizzleQueryError } from "drizzle-orm/errors"
import * as Schema from "effect/Schema"
import * as DiskSpace from "../DiskSpace.js"

/** A libSQL call that failed; `code` is libSQL's (e.g. `SQLITE_BUSY`, `TRANSACTION_TIMEOUT`) when it gave one. */
export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  operation: Schema.String,
  reason: Schema.String,
  code: Schema.optional(Schema.String),
  /** The database was opened to read it only: its failures never advise making it writable. */
  reading: Schema.optional(Schema.Boolean)
}) {
  override get message() {
    return `database ${this.operation} failed: ${this.reason}; check that the database is reachable${this.reading === true ? "" : " and writable"}`
  }

  get isBusy() {
    return this.code === "SQLITE_BUSY"
  }

  /** A libSQL server ended the transaction because another writer waited on it for over 5 s. */
  get isStolen() {
    return this.code === "TRANSACTION_TIMEOUT"
  }
}

/** A database that must exist (for reading) is a local file, or a replica read offline, that does not. */
export class DatabaseMissing extends Schema.TaggedError<DatabaseMissing>()("DatabaseMissing", {
  path: Schema.String,
  replica: Schema.optional(Schema.Boolean)
}) {
  override get message() {
    return this.replica === true
      ? `no replica at ${this.path} yet: it is made by reading once with a refresh from the server`
      : `no database at ${this.path}`
  }
}

/** The server refused the token: 401 (missing, wrong or expired) or 403 (not allowed to do this, e.g. write). */
export class DatabaseAuthError extends Schema.TaggedError<DatabaseAuthError>()("DatabaseAuthError", {
  at: Schema.String,
  status: Schema.Number
}) {
  override get message() {
    return this.status === 403
      ? `the database server at ${this.at} refused this operation for the auth token (HTTP 403): the token may only read; use a read-write token`
      : `the database server at ${this.at} refused the auth token (HTTP ${this.status}): it is missing, wrong or expired`
  }
}

/** No answer from the server, or no database at that address on it. */
export class DatabaseUnreachable extends Schema.TaggedError<DatabaseUnreachable>()("DatabaseUnreachable", {
  at: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot use the database server at ${this.at}: ${this.reason}`
  }
}

/**
 * The disk holding the database is full (SQLite's `SQLITE_FULL`, a server's included): the write failed
 * and SQLite rolled it back. `free` is the space left, when the database is a local file.
 */
export class DatabaseDiskFull extends Schema.TaggedError<DatabaseDiskFull>()("DatabaseDiskFull", {
  operation: Schema.String,
  at: Schema.String,
  free: Schema.optional(Schema.String)
}) {
  override get message() {
    const free = this.free === undefined ? "" : ` (${this.free} free)`
    return `database ${this.operation} failed: the disk holding ${this.at} is full${free}; the mirror is unchanged: free some space and run it again`
  }
}

/**
 * A write held back while another source's sync applied its run, for longer than the database's timeout:
 * the write path yields to an apply (`MirrorDatabase.Service.yieldingTo`) rather than end it on a libSQL server.
 */
export class ApplyWaitTimeoutError extends Schema.TaggedError<ApplyWaitTimeoutError>()("ApplyWaitTimeoutError", {
  source: Schema.String,
  applying: Schema.optional(Schema.String),
  waited: Schema.String
}) {
  override get message() {
    const other = this.applying === undefined ? "another source's sync" : `the sync of source "${this.applying}"`
    return `this sync of source "${this.source}" waited ${this.waited} for ${other} to finish applying; it changed nothing: run it again, or allow a longer database timeout`
  }
}

/** What any call to the database may fail with. */
export type DatabaseFailure = DatabaseError | DatabaseDiskFull | DatabaseAuthError | DatabaseUnreachable | ApplyWaitTimeoutError
export const DatabaseFailure = Schema.Union(DatabaseError, DatabaseDiskFull, DatabaseAuthError, DatabaseUnreachable, ApplyWaitTimeoutError)

/** What failures of one database say about where it is, and which strings they must never show. */
export interface FailureContext {
  readonly at: string
  readonly secrets: ReadonlyArray<string>
  /** The local file the database is in, whose disk's free space a disk-full failure tells. */
  readonly file?: string | undefined
  /** Opened to be read only. */
  readonly reading: boolean
}

/** The secrets as `***`, then the credentials of any URL the library's message prints (in a form of its own). */
const redact = (text: string, secrets: ReadonlyArray<string>) =>
  UrlCredentials.redact(
    secrets.reduce((out, secret) => (secret.length >= 4 ? out.split(secret).join(UrlCredentials.MASK) : out), text)
  )

/** Why a request never got an answer, found down the `cause` chain (undici's `fetch failed` hides it there). */
const networkFailure = (error: unknown): string | undefined => {
  let reason: string | undefined
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current.name === "TimeoutError" || current.name === "AbortError") return "no answer in time"
    if (current.message === "fetch failed") reason = "no connection"
    else if (reason !== undefined) reason = (current as NodeJS.ErrnoException).code ?? current.message
  }
  return reason
}

/** The typed error for a libSQL or Drizzle failure, with secrets and the URL's credentials taken out of its text. */
export const failure = (operation: string, context: FailureContext) => (cause: unknown): DatabaseFailure => {
  // Drizzle wraps libSQL's error, code included, in one whose message is the SQL and its parameters on two lines.
  const error = cause instanceof DrizzleQueryError && cause.cause !== undefined ? cause.cause : cause
  if (DiskSpace.isFull(error)) {
    const free = context.file === undefined ? undefined : DiskSpace.freeBeside(context.file)
    return new DatabaseDiskFull({ operation, at: context.file ?? context.at, ...(free === undefined ? {} : { free }) })
  }
  const text = redact(error instanceof Error ? error.message : String(error), context.secrets)
  const status = error instanceof LibsqlError ? /HTTP status (\d{3})/.exec(text)?.[1] : undefined
  if (status === "401" || status === "403") return new DatabaseAuthError({ at: context.at, status: Number(status) })
  if (status === "404") return new DatabaseUnreachable({ at: context.at, reason: "the server has no database at this URL (HTTP 404)" })
  const network = networkFailure(error)
  if (network !== undefined) {
    return new DatabaseUnreachable({ at: context.at, reason: `${redact(network, context.secrets)}; check the URL and that the server runs` })
  }
  // libSQL's errors and the Hrana client's (`describe`) both carry a code such as `SQLITE_ERROR`.
  const code = (error as { readonly code?: unknown } | null)?.code
  return new DatabaseError({
    operation,
    reason: text,
    ...(typeof code === "string" ? { code } : {}),
    ...(context.reading ? { reading: true } : {})
  })
}
