import { Context, Effect, Layer, Schema } from "effect"
import type { Either, Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Compat from "./Compat.js"
import * as Faults from "./Faults.js"
import type * as Connection from "./Connection.js"
import * as Inventory from "./Inventory.js"
import * as Limiter from "./Limiter.js"
import * as PageCap from "./PageCap.js"
import * as Random from "./Random.js"
import * as RateLimitHeaders from "./RateLimitHeaders.js"
import * as RequestLog from "./RequestLog.js"
import * as Server from "./Server.js"
import type * as State from "./State.js"

export const defaultSecret = "sk_test_mock_0000000000000000"
export const defaultAuthHeader = "x-pica-secret"

/**
 * The compat settings (`legacyShape`, `getById`, `patchAnswer`) are the initial
 * values of what `setCompat` changes.
 */
export interface MockPicaOptions extends Compat.Compat {
  /** Default 0: an ephemeral port, read it back from `url`. */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Seeds the generated inventory and the random faults. Default 1. */
  readonly seed?: number
  /** How many connections to generate. Default 50. */
  readonly count?: number
  /** An explicit initial inventory instead of generated rows, completed like `insert` does. */
  readonly rows?: ReadonlyArray<Connection.ConnectionInput>
  /** Default `sk_test_mock_0000000000000000`; any string works, `sk_live_…` too. */
  readonly secret?: string
  /** The header carrying the secret. Default `x-pica-secret`. */
  readonly authHeader?: string
  /** The most rows a page holds; `null`: no cap. Default 100, as the mock always had. */
  readonly limitCap?: number | null
  /**
   * What a `limit` above the cap gets: `clamp` (the default) pages by the cap; `skew` caps the rows but
   * pages by the size asked, so rows past the cap are never sent; `refuse` answers 400.
   */
  readonly overCap?: PageCap.OverCap
  /** The faults in force from the start. */
  readonly faults?: Faults.Faults
  /** How many recent API requests the log keeps. Default 10,000. */
  readonly requestLogLimit?: number
  /** Add `"type": "Vault Connections"` to listing envelopes. Default false. */
  readonly legacyEnvelope?: boolean
  /** Generated rows send some optional fields as `null`, as the real service does. Default true. */
  readonly nulls?: boolean
  /** The share (0..1) of generated rows counted in `total` but never listed. Default 0.005. */
  readonly hiddenShare?: number
  /** The real service's fixed-window limiter, per secret; `null` turns it off. Default 500 a minute. */
  readonly limiter?: Limiter.Limiter | null
  /** Prefix of the three rate-limit headers. Default `x-pica-`. */
  readonly rateLimitHeaderPrefix?: string
  /** Rows with equal `createdAt` come in a random order on each listing. Default true. */
  readonly shuffleTies?: boolean
}

/** A running mock server: where it listens, and its controls. */
export interface MockPicaServer {
  /** The base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  readonly port: number
  readonly secret: string
  readonly authHeader: string
  /** The request log (API routes only), oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<RequestLog.RequestLogEntry>>
  readonly clearRequests: Effect.Effect<void>
  /** The faults in force, with what is left of the script. */
  readonly faults: Effect.Effect<Faults.Faults>
  /** Merges `patch` into the faults (`null` turns one off) and restarts their counters. Dies on an invalid config. */
  readonly setFaults: (patch: Faults.Faults) => Effect.Effect<void>
  readonly clearFaults: Effect.Effect<void>
  /** Every connection the API lists, active and inactive, newest first (ties by `id`): the ground truth a sync can mirror. */
  readonly inventory: Effect.Effect<ReadonlyArray<Connection.Connection>>
  readonly insert: (
    row: Connection.ConnectionInput,
    options?: Inventory.InsertOptions
  ) => Effect.Effect<Connection.Connection, Connection.ConnectionExists | Connection.InvalidConnection>
  readonly remove: (id: string) => Effect.Effect<Connection.Connection, Connection.ConnectionNotFound>
  readonly update: (
    id: string,
    patch: Connection.ConnectionInput
  ) => Effect.Effect<Connection.Connection, Connection.ConnectionNotFound | Connection.InvalidConnection>
  readonly deactivate: (id: string) => Effect.Effect<Connection.Connection, Connection.ConnectionNotFound>
  /** The rows counted in `total` but never listed, newest first (ties by `id`). */
  readonly hidden: Effect.Effect<ReadonlyArray<Connection.Connection>>
  /** Keeps a row out of every listing from now on, still counted; GET by id still answers it. */
  readonly hide: (id: string) => Effect.Effect<Connection.Connection, Connection.ConnectionNotFound>
  /** The limiter in force, `null` when off. */
  readonly limiter: Effect.Effect<Limiter.Limiter | null>
  /** Replaces the limiter (`null` turns it off); every window starts afresh. Dies on an invalid config. */
  readonly setLimiter: (limiter: Limiter.Limiter | null) => Effect.Effect<void>
  /** The compat settings in force. */
  readonly compat: Effect.Effect<Compat.Settings>
  /** Merges `patch` into the compat settings. Dies on an invalid one. */
  readonly setCompat: (patch: Compat.Compat) => Effect.Effect<void>
  /** The page cap in force. */
  readonly pageCap: Effect.Effect<PageCap.Settings>
  /** Merges `patch` into the page cap (`cap: null` lifts it). Dies on an invalid one. */
  readonly setPageCap: (patch: PageCap.PageCap) => Effect.Effect<void>
}

export class MockPica extends Context.Tag("@picasync/mock/MockPica")<MockPica, MockPicaServer>() {}

const validFaults = Schema.decodeUnknownSync(Faults.Faults, { onExcessProperty: "error" })
const validLimiter = Schema.decodeUnknownSync(Schema.NullOr(Limiter.Limiter), { onExcessProperty: "error" })
const validCompat = Schema.decodeUnknownSync(Compat.Compat, { onExcessProperty: "error" })
const validPageCap = Schema.decodeUnknownSync(PageCap.PageCap, { onExcessProperty: "error" })

const check = (valid: boolean, message: string): void => {
  if (!valid) throw new Error(`MockPica: ${message}`)
}

const makeState = (options: MockPicaOptions): State.State => {
  const seed = options.seed ?? 1
  const count = options.count ?? 50
  const requestLogLimit = options.requestLogLimit ?? 10_000
  const { hiddenShare } = options
  const rateLimitHeaderPrefix = (options.rateLimitHeaderPrefix ?? RateLimitHeaders.defaultPrefix).toLowerCase()
  check(Number.isSafeInteger(seed), "seed must be an integer")
  check(Number.isSafeInteger(count) && count >= 0, "count must be an integer >= 0")
  check(Number.isSafeInteger(requestLogLimit) && requestLogLimit >= 0, "requestLogLimit must be an integer >= 0")
  check(hiddenShare === undefined || (hiddenShare >= 0 && hiddenShare <= 1), "hiddenShare must be a share between 0 and 1")
  check(RateLimitHeaders.validPrefix(rateLimitHeaderPrefix), "rateLimitHeaderPrefix may hold only letters, digits and dashes")
  return {
    config: {
      secret: options.secret ?? defaultSecret,
      authHeader: (options.authHeader ?? defaultAuthHeader).toLowerCase(),
      legacyEnvelope: options.legacyEnvelope ?? false,
      rateLimitHeaderPrefix
    },
    inventory: Inventory.make({
      seed,
      count,
      rows: options.rows,
      nulls: options.nulls,
      hiddenShare,
      shuffleTies: options.shuffleTies
    }),
    // Its own stream, so fault decisions never depend on the inventory size.
    faults: new Faults.FaultEngine(Random.make(seed ^ 0x0fa17), validFaults(options.faults ?? {}), performance.now()),
    limiter: new Limiter.FixedWindows(validLimiter(options.limiter === undefined ? Limiter.defaultLimiter : options.limiter)),
    compat: Compat.merge(Compat.defaults, validCompat({
      legacyShape: options.legacyShape,
      getById: options.getById,
      patchAnswer: options.patchAnswer
    })),
    pageCap: PageCap.merge(PageCap.defaults, validPageCap({ cap: options.limitCap, overCap: options.overCap })),
    log: new RequestLog.RequestLog(requestLogLimit)
  }
}

const listen = (server: http.Server, port: number, host: string): Effect.Effect<AddressInfo> =>
  Effect.async<AddressInfo>((resume) => {
    const onError = (error: Error) => resume(Effect.die(error))
    server.once("error", onError)
    server.listen(port, host, () => {
      server.off("error", onError)
      resume(Effect.succeed(server.address() as AddressInfo))
    })
  })

/**
 * How long an idle keep-alive connection stays open: far longer than a client keeps one (undici: 4 s), so
 * the client always drops it first and never sends a request down a socket the server is closing
 * (ECONNRESET), however late a busy event loop runs either timer.
 */
const KEEP_ALIVE_MILLIS = 60_000

const close = (server: http.Server): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    server.close(() => resume(Effect.void))
    // Keep-alive connections would otherwise hold `close` open for seconds.
    server.closeAllConnections()
  })

const fromEither = <A, E>(result: () => Either.Either<A, E>): Effect.Effect<A, E> =>
  Effect.suspend(() => result())

/**
 * Starts a mock Pica server listening until the scope closes. Invalid options
 * and a port already in use are defects.
 */
export const start = (options: MockPicaOptions = {}): Effect.Effect<MockPicaServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const state = yield* Effect.sync(() => makeState(options))
    const host = options.host ?? "127.0.0.1"
    const address = yield* Effect.acquireRelease(
      Effect.suspend(() => {
        const server = http.createServer({ keepAliveTimeout: KEEP_ALIVE_MILLIS }, Server.handler(state))
        return Effect.map(listen(server, options.port ?? 0, host), (address) => ({ server, address }))
      }),
      ({ server }) => close(server)
    ).pipe(Effect.map(({ address }) => address))
    const { inventory } = state
    const update = (id: string, patch: Connection.ConnectionInput) => fromEither(() => inventory.update(id, patch))
    return {
      url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`,
      port: address.port,
      secret: state.config.secret,
      authHeader: state.config.authHeader,
      requests: Effect.sync(() => state.log.all()),
      clearRequests: Effect.sync(() => state.log.clear()),
      faults: Effect.sync(() => state.faults.current),
      setFaults: (patch) => Effect.sync(() => state.faults.set(validFaults(patch), performance.now())),
      clearFaults: Effect.sync(() => state.faults.set(Faults.allOff, performance.now())),
      inventory: Effect.sync(() => inventory.all()),
      insert: (row, insertOptions) => fromEither(() => inventory.insert(row, insertOptions)),
      remove: (id) => fromEither(() => inventory.remove(id)),
      update,
      deactivate: (id) => update(id, { active: false }).pipe(Effect.catchTag("InvalidConnection", Effect.die)),
      hidden: Effect.sync(() => inventory.hidden()),
      hide: (id) => fromEither(() => inventory.hide(id)),
      limiter: Effect.sync(() => state.limiter.current),
      setLimiter: (limiter) => Effect.sync(() => state.limiter.set(validLimiter(limiter))),
      compat: Effect.sync(() => state.compat),
      setCompat: (patch) =>
        Effect.sync(() => {
          state.compat = Compat.merge(state.compat, validCompat(patch))
        }),
      pageCap: Effect.sync(() => state.pageCap),
      setPageCap: (patch) =>
        Effect.sync(() => {
          state.pageCap = PageCap.merge(state.pageCap, validPageCap(patch))
        })
    } satisfies MockPicaServer
  }).pipe(Effect.withSpan("MockPica.start"))

/** Provides `MockPica` for the lifetime of the layer. */
export const layer = (options: MockPicaOptions = {}): Layer.Layer<MockPica> => Layer.scoped(MockPica, start(options))
