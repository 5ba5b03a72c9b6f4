import {
  type Connection,
  type ConnectionsPage,
  ListConnectionsParams,
  paginate,
  PicaBadRequestError,
  PicaClient,
  type PicaClientService,
  PicaDecodeError,
  PicaMirrorError,
  PicaNotFoundError,
  readConnectionsPage,
  toUrlParams
} from "@picasync/client"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { type DatabaseFailure, MirrorDatabase, type Service as Database } from "../db/MirrorDatabase.js"
import * as Listing from "./MirrorListing.js"

export interface Options {
  /** The source whose mirror answers; default the mirror's only source. */
  readonly source?: string | undefined
  /** `limit` of each page a stream reads, as the live client's `pageSize`. Default 100. */
  readonly pageSize?: number | undefined
  /** About how many rows a stream reads in one statement, in whole pages: fewer, less memory; more, fewer reads. Default 2000. */
  readonly rowsPerRead?: number | undefined
}

/** Which sync the answers come from: its source, its run, and when it committed (ISO 8601). */
export interface Freshness {
  readonly source: string
  readonly runId: number
  readonly committedAt: string
}

/** Where errors say an answer came from: no request is ever sent. */
const LIST_URL = "mirror:/v1/vault/connections"
const byIdUrl = (id: string) => `${LIST_URL}/${encodeURIComponent(id)}`

export type Operation = keyof PicaClientService | "freshness"

const ONE_URL = `${LIST_URL}/{id}`
const CONNECTORS_URL = "mirror:/v1/available-connectors"

/** The request each operation stands for, as errors name it. */
const requests: Record<Operation, readonly [method: string, url: string]> = {
  listConnections: ["GET", LIST_URL],
  streamPages: ["GET", LIST_URL],
  streamConnections: ["GET", LIST_URL],
  freshness: ["GET", LIST_URL],
  getConnection: ["GET", ONE_URL],
  updateConnectionTags: ["PATCH", ONE_URL],
  deleteConnection: ["DELETE", ONE_URL],
  listConnectors: ["GET", CONNECTORS_URL],
  streamConnectors: ["GET", CONNECTORS_URL]
}

export const mirrorError = (operation: Operation, kind: PicaMirrorError["kind"], reason: string, cause?: unknown) => {
  const [method, url] = requests[operation]
  return new PicaMirrorError({ method, url, attempts: 0, kind, reason, ...(cause === undefined ? {} : { cause }) })
}

const databaseError = (operation: Operation) => (error: DatabaseFailure) =>
  mirrorError(operation, "database", `the mirror's database failed: ${error.message}`, error)

const encodeParams = toUrlParams(ListConnectionsParams)

/** The live client's check of the parameters, with its field and reason: nothing is read when they are invalid. */
export const checkParams = (params: ListConnectionsParams): Either.Either<void, PicaBadRequestError> =>
  Either.mapBoth(encodeParams(params), {
    onLeft: ({ field, reason }) => new PicaBadRequestError({ method: "GET", url: LIST_URL, attempts: 0, field, reason }),
    onRight: () => undefined
  })

/** Why the mirror cannot answer for a source: no sync of it, or no source named among several. */
interface Unanswerable {
  readonly kind: "never-synced" | "several-sources"
  readonly sources: ReadonlyArray<string>
}

/** The latest sync of `source` (or of the only source), or what stops the mirror from answering. */
const latestSync = (runs: ReadonlyArray<Record<string, unknown>>): Either.Either<Freshness, Unanswerable> => {
  const [run] = runs
  if (run !== undefined && runs.length === 1) {
    return Either.right({ source: String(run.source), runId: Number(run.run_id), committedAt: String(run.finished_at) })
  }
  return Either.left({ kind: runs.length === 0 ? "never-synced" : "several-sources", sources: runs.map((run) => String(run.source)) })
}

const notAnswerable = (
  operation: Operation,
  source: string | undefined,
  problem: Unanswerable
) =>
  problem.kind === "several-sources"
    ? mirrorError(operation, "several-sources", `the mirror holds several sources (${problem.sources.join(", ")}): choose one with the source option`)
    : mirrorError(
      operation,
      "never-synced",
      source === undefined
        ? "no sync has committed to this mirror yet: run a sync first (picasync sync, or PicaSync.run)"
        : `no sync of source "${source}" has committed to this mirror yet: run one first (picasync sync --source ${source}, or PicaSync.run)`
    )

/** The one row an aggregate (`count`, `json_group_array`) always answers: none is the database's fault. */
const oneRow = (operation: Operation) => ([row]: ReadonlyArray<Record<string, unknown>>) =>
  row === undefined
    ? Effect.fail(mirrorError(operation, "database", "the mirror's database answered no row to an aggregate query: check the mirror's file"))
    : Effect.succeed(row)

/**
 * The rows of `read`, one statement, after finding the sync it answers from. Each answer is one statement
 * (a page and its `total` included), so it comes from one committed state with no transaction around it.
 */
const readMirror = (
  db: Database,
  operation: Operation,
  source: string | undefined,
  read: (freshness: Freshness) => Listing.Statement | undefined
): Effect.Effect<{ readonly freshness: Freshness; readonly rows: ReadonlyArray<Record<string, unknown>> }, PicaMirrorError> =>
  Effect.gen(function*() {
    const sync = latestSync(yield* Effect.mapError(db.execute(`mirror ${operation}`, Listing.lastSyncs(source)), databaseError(operation)))
    if (Either.isLeft(sync)) return yield* notAnswerable(operation, source, sync.left)
    const statement = read(sync.right)
    const rows = statement === undefined ? [] : yield* Effect.mapError(db.execute(`mirror ${operation}`, statement), databaseError(operation))
    return { freshness: sync.right, rows }
  })

/** A page rebuilt from stored raw rows by the live client's own reader: the same rows, and the same unreadable ones. */
const pageOf = (
  raws: ReadonlyArray<unknown>,
  total: number,
  limit: number,
  page: number
): Either.Either<ConnectionsPage, PicaDecodeError> =>
  Either.mapLeft(
    readConnectionsPage({ rows: raws, total, pages: Math.ceil(total / limit), page }),
    ({ path, reason }) => new PicaDecodeError({ method: "GET", url: LIST_URL, attempts: 0, path, reason })
  )

/** What every write and the catalogue answer: a mirror holds connections, read-only. */
const readOnly = (operation: Operation) =>
  Effect.fail(
    mirrorError(
      operation,
      "read-only",
      "the mirror is read-only and holds no connector catalogue: use the live PicaClient, or MirrorPicaClient.layerReadThrough, which writes through it"
    )
  )

/**
 * The `PicaClient` service answered from the mirror, with no network. `source` is read on each call, so
 * the read-through layer can name the source its first sync wrote.
 */
export const makeWith = (db: Database, source: () => string | undefined, options: Options = {}): PicaClientService => {
  const pageSize = options.pageSize ?? 100
  const rowsPerRead = options.rowsPerRead ?? 2000

  const listConnections = Effect.fn("MirrorPicaClient.listConnections")(function*(params: ListConnectionsParams = {}) {
    yield* checkParams(params)
    const limit = params.limit ?? 20
    const page = params.page ?? 1
    const { rows } = yield* readMirror(db, "listConnections", source(), (freshness) =>
      Listing.page(Listing.where(freshness.source, params), limit, page))
    const found = yield* oneRow("listConnections")(rows)
    return yield* pageOf(JSON.parse(String(found.rows)), Number(found.total), limit, page)
  })

  const streamPages = (params: ListConnectionsParams = {}) =>
    Stream.unwrap(Effect.gen(function*() {
      yield* checkParams(params)
      const limit = params.limit ?? pageSize
      const first = params.page ?? 1
      const { freshness, rows } = yield* readMirror(db, "streamPages", source(), (freshness) =>
        Listing.ids(Listing.where(freshness.source, params)))
      const ids: ReadonlyArray<string> = JSON.parse(String((yield* oneRow("streamPages")(rows)).ids))
      const pagesPerRead = Math.max(1, Math.floor(rowsPerRead / limit))
      let read: { readonly first: number; readonly pages: ReadonlyArray<Array<unknown> | undefined> } | undefined
      /** The raw rows of pages `from` to `from + pagesPerRead - 1`, in one statement; a page with no live row stays a hole. */
      const readPages = (from: number) => {
        const start = (from - 1) * limit
        const statement = Listing.rowsById(freshness.source, ids.slice(start, start + pagesPerRead * limit))
        return db.execute("mirror streamPages", statement).pipe(
          Effect.mapError(databaseError("streamPages")),
          Effect.flatMap(oneRow("streamPages")),
          Effect.map((found) => {
            const pages: Array<Array<unknown> | undefined> = []
            for (const [position, raw] of JSON.parse(String(found.rows)) as Array<[number, unknown]>) {
              const page = (pages[Math.floor(position / limit)] ??= [])
              page.push(raw)
            }
            return { first: from, pages }
          })
        )
      }
      const fetchPage = (page: number) =>
        Effect.gen(function*() {
          if ((page - 1) * limit >= ids.length) return yield* pageOf([], ids.length, limit, page)
          if (read === undefined || page < read.first || page >= read.first + pagesPerRead) {
            read = yield* readPages(page)
          }
          return yield* pageOf(read.pages[page - read.first] ?? [], ids.length, limit, page)
        })
      return paginate(fetchPage, first)
    })).pipe(Stream.withSpan("MirrorPicaClient.streamPages"))

  const streamConnections = (params?: ListConnectionsParams) =>
    streamPages(params).pipe(
      Stream.tap((page) =>
        Effect.forEach(page.unreadable, (row) => Effect.logWarning(`page ${page.page}: ${row.message}`), { discard: true })
      ),
      Stream.mapConcat((page) => page.rows),
      Stream.withSpan("MirrorPicaClient.streamConnections")
    )

  const getConnection = Effect.fn("MirrorPicaClient.getConnection")(function*(id: string) {
    const url = byIdUrl(id)
    if (id.trim() === "") {
      return yield* new PicaBadRequestError({ method: "GET", url: ONE_URL, attempts: 0, field: "id", reason: "the id is empty" })
    }
    const { rows: found } = yield* readMirror(db, "getConnection", source(), (freshness) => Listing.byId(freshness.source, id))
    const rows = found.map((row) => JSON.parse(String(row.raw)))
    if (rows.length === 0) return yield* new PicaNotFoundError({ method: "GET", url, attempts: 0 })
    const { rows: [connection], unreadable: [unreadable] } = yield* pageOf(rows, 1, 1, 1)
    if (connection !== undefined) return connection as Connection
    // The live client's path for a body that is the row itself.
    const path = unreadable?.path.replace(/^rows\[0\]\.?/, "") ?? ""
    const reason = unreadable?.reason ?? "the stored row is not a connection"
    return yield* new PicaDecodeError({ method: "GET", url, attempts: 0, path: path === "" ? "body" : path, reason })
  })

  return {
    listConnections,
    streamPages,
    streamConnections,
    getConnection,
    updateConnectionTags: () => readOnly("updateConnectionTags"),
    deleteConnection: () => readOnly("deleteConnection"),
    listConnectors: () => readOnly("listConnectors"),
    streamConnectors: () => Stream.fromEffect(readOnly("streamConnectors"))
  }
}

/** The `PicaClient` service over the mirror the context provides. */
export const make = (options: Options = {}) => Effect.map(MirrorDatabase, (db) => makeWith(db, () => options.source, options))

/** `PicaClient` answered from the mirror: reads with the live client's answers, offline; writes fail as read-only. */
export const layer = (options: Options = {}): Layer.Layer<PicaClient, never, MirrorDatabase> => Layer.effect(PicaClient, make(options))

/** Which sync the mirror's answers for `options.source` (default the only source) come from, and when it committed. */
export const freshness = (options: Pick<Options, "source"> = {}): Effect.Effect<Freshness, PicaMirrorError, MirrorDatabase> =>
  Effect.flatMap(MirrorDatabase, (db) => readMirror(db, "freshness", options.source, () => undefined)).pipe(
    Effect.map(({ freshness }) => freshness),
    Effect.withSpan("MirrorPicaClient.freshness")
  )
