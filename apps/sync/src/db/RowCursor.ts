import type { InValue } from "@libsql/client"
import type * as Hrana from "@libsql/hrana-client"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import Database from "libsql"
import type { Row } from "../query/Format.js"
import type { DatabaseFailure } from "./DatabaseError.js"

/** The rows of one statement as they come, in batches, from a statement that stays open until the scope closes. */
export interface RowCursor {
  readonly columns: ReadonlyArray<string>
  /** Batches of at most `BATCH` rows, in order; the stream ends with the rows. */
  readonly batches: Stream.Stream<ReadonlyArray<Row>, DatabaseFailure>
}

/** Rows a batch holds: enough that the work per batch is nothing beside its rows, few enough to stay small. */
const BATCH = 256

/** A write, refused before it ran: the code SQLite gives a write under `PRAGMA query_only`, so both refusals read alike. */
const refusedWrite = (failure: (cause: unknown) => DatabaseFailure) =>
  failure(Object.assign(new Error("attempt to write a readonly database"), { code: "SQLITE_READONLY" }))

/**
 * Integers come as bigint, so none is ever rounded: those a number holds exactly become numbers, as the
 * client gives them, and larger ones stay exact (the client would fail on them).
 */
const asCells = (row: Array<unknown>): Row => {
  for (let i = 0; i < row.length; i++) {
    const value = row[i]
    if (typeof value === "bigint" && value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER) row[i] = Number(value)
    else if (value === undefined) row[i] = null
  }
  return row as Row
}

/** Named arguments as `@libsql/client` binds them on a file: booleans as 1 and 0, bytes as a `Buffer`, dates as milliseconds. */
const bindable = (args: Readonly<Record<string, InValue>>) =>
  Object.fromEntries(
    Object.entries(args).map(([name, value]) => [
      name,
      typeof value === "boolean"
        ? Number(value)
        : value instanceof ArrayBuffer
        ? Buffer.from(value)
        : value instanceof Date
        ? value.valueOf()
        : value
    ])
  )

/**
 * A local file (or replica) read through a native connection of its own with `PRAGMA query_only`, the rows
 * pulled a batch at a time from libSQL's statement iterator; closing the scope closes the connection and
 * the statement with it.
 */
export const file = (
  path: string,
  sql: string,
  args: Readonly<Record<string, InValue>>,
  options: { readonly busyTimeoutMillis: number; readonly failure: (cause: unknown) => DatabaseFailure }
): Effect.Effect<RowCursor, DatabaseFailure, Scope.Scope> =>
  Effect.gen(function*() {
    const attempt = <A>(run: () => A) => Effect.try({ try: run, catch: options.failure })
    const connection = yield* Effect.acquireRelease(
      attempt(() => new Database(path, { timeout: options.busyTimeoutMillis })),
      (connection) => Effect.sync(() => connection.close())
    )
    const statement = yield* attempt(() => {
      connection.exec("PRAGMA query_only = ON")
      return connection.prepare(sql).safeIntegers(true)
    })
    try {
      statement.raw(true)
    } catch {
      // libSQL refuses raw rows for a statement that returns none: it runs, and there is nothing to show.
      yield* attempt(() => statement.run(bindable(args)))
      return { columns: [], batches: Stream.empty }
    }
    const columns = statement.columns().map((column) => column.name)
    const rows = yield* attempt(() => statement.iterate(bindable(args)) as Iterator<Array<unknown>>)
    let done = false
    const next = Effect.suspend(() => {
      const batch: Array<Row> = []
      try {
        while (!done && batch.length < BATCH) {
          const step = rows.next()
          if (step.done === true) done = true
          else batch.push(asCells(step.value))
        }
      } catch (error) {
        return Effect.fail(Option.some(options.failure(error)))
      }
      return batch.length === 0 ? Effect.fail(Option.none()) : Effect.succeed(batch)
    })
    return { columns, batches: Stream.repeatEffectOption(next) }
  })

/** `answer`, or a `TimeoutError` once `millis` have passed without it. */
const answeredWithin = <A>(millis: number, answer: Promise<A>) =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DOMException("no answer in time", "TimeoutError")), millis)
    answer.then(resolve, reject).finally(() => clearTimeout(timer))
  })

/**
 * `fetch` whose answer must begin within `millis`; its body may then take as long as the rows do,
 * each batch being timed on its own.
 */
const fetchAnsweredWithin = (millis: number) => (request: Request, init?: RequestInit) => {
  const controller = new AbortController()
  return answeredWithin(millis, fetch(request, { ...init, signal: controller.signal })).catch((error) => {
    controller.abort(error)
    throw error
  })
}

/** A value as the Hrana client binds it: booleans as integers, bytes as `Uint8Array`, dates as milliseconds. */
const hranaValue = (value: InValue) =>
  typeof value === "boolean"
    ? BigInt(value)
    : value instanceof ArrayBuffer
    ? new Uint8Array(value)
    : value instanceof Date
    ? value.valueOf()
    : value

/** The statement of a cursor's batch, in the Hrana client's own terms. */
type Statement = Parameters<Hrana.Stream["_openCursor"]>[0]["steps"][number]["stmt"]

/**
 * A libSQL server read through a Hrana cursor (protocol 3): the server streams the rows and they are
 * read as they arrive, never held whole on either side. The server is first asked how it compiles the
 * statement, as it would run a write in a read transaction: a write is refused before it runs.
 * `within` times the calls before the rows, and each batch must come within `timeoutMillis`; closing the
 * scope closes the cursor and ends the statement.
 */
export const server = (
  endpoint: { readonly url: string; readonly websocket: boolean; readonly authToken: string | undefined },
  sql: string,
  args: Readonly<Record<string, InValue>>,
  options: {
    readonly timeoutMillis: number
    readonly failure: (cause: unknown) => DatabaseFailure
    readonly within: <A>(effect: Effect.Effect<A, DatabaseFailure>) => Effect.Effect<A, DatabaseFailure>
  }
): Effect.Effect<RowCursor, DatabaseFailure, Scope.Scope> =>
  Effect.gen(function*() {
    const call = <A>(run: () => Promise<A>) => options.within(Effect.tryPromise({ try: run, catch: options.failure }))
    const hrana = yield* call(() => import("@libsql/hrana-client"))
    const client = yield* Effect.acquireRelease(
      Effect.try({
        try: (): Hrana.Client =>
          // Protocol 3, which has cursors; the client speaks 2 unless asked.
          endpoint.websocket
            ? hrana.openWs(endpoint.url, endpoint.authToken, 3)
            : hrana.openHttp(endpoint.url, endpoint.authToken, fetchAnsweredWithin(options.timeoutMillis), undefined, 3),
        catch: options.failure
      }),
      (client) => Effect.sync(() => client.close())
    )
    // The server says which Hrana version it speaks: `describe` needs 2, a cursor 3.
    yield* call(() => client.getVersion())
    const stream = yield* Effect.acquireRelease(
      Effect.sync(() => client.openStream()),
      (stream) => Effect.sync(() => stream.close())
    )
    if (!(yield* call(() => stream.describe(sql))).isReadonly) return yield* Effect.fail(refusedWrite(options.failure))
    const statement: Statement = {
      sql,
      sqlId: undefined,
      args: [],
      namedArgs: Object.entries(args).map(([name, value]) => ({ name, value: hranaValue(value) })),
      wantRows: true
    }
    const cursor = yield* Effect.acquireRelease(
      // The client's batches gather a cursor's rows into one result; its cursor itself hands them out as they come.
      call(() => stream._openCursor({ steps: [{ condition: undefined, stmt: statement }] })),
      (cursor) => Effect.sync(() => cursor.close())
    )
    /** The next entry that is not a step's end; an error entry fails, the end of the rows is undefined. */
    const entry = async () => {
      const next = await cursor.next()
      if (next === undefined || next.type === "step_end") return undefined
      // Thrown as the client throws a server's error, code included.
      if (next.type === "step_error" || next.type === "error") throw new hrana.ResponseError(next.error.message, next.error)
      return next
    }
    const begin = yield* call(entry)
    const columns = begin?.type === "step_begin" ? begin.cols.map((column) => column.name ?? "") : []
    let done = begin === undefined
    const read = async () => {
      const batch: Array<Row> = []
      while (!done && batch.length < BATCH) {
        const step = await entry()
        if (step === undefined) done = true
        else if (step.type === "row") batch.push(asCells(step.row))
      }
      return batch
    }
    // Timed by a timer of its own: an Effect timeout a batch keeps each batch's rows reachable for long after.
    const next = Effect.tryPromise({ try: () => answeredWithin(options.timeoutMillis, read()), catch: options.failure }).pipe(
      Effect.mapError(Option.some),
      Effect.filterOrFail((batch) => batch.length > 0, () => Option.none())
    )
    return { columns, batches: Stream.repeatEffectOption(next) }
  })
