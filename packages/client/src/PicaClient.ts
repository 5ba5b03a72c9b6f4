import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as RedactedValue from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { Connection } from "./Connection.js"
import * as ConnectionsPage from "./ConnectionsPage.js"
import { type Connector, ConnectorsPage } from "./Connector.js"
import { paginate, type PaginationOptions } from "./Pagination.js"
import { PicaBadRequestError, type PicaError, PicaTransportError } from "./PicaError.js"
import { ListConnectionsParams, ListConnectorsParams, toUrlParams, type UrlParams } from "./QueryParams.js"
import { makeGate } from "./RateLimit.js"
import { type Answer, type Attempt, decodeBody, readBody, statusError } from "./ReadResponse.js"
import { type RetryPolicy, withRetries } from "./Retry.js"
import * as UrlCredentials from "./UrlCredentials.js"

export const DEFAULT_BASE_URL = "https://api.picaos.com"
export const DEFAULT_AUTH_HEADER = "x-pica-secret"

export interface Options {
  readonly secretKey: Redacted.Redacted<string>
  /** Default `https://api.picaos.com`; the "One" rebrand serves the same API at `https://api.withone.ai`. */
  readonly baseUrl?: string | undefined
  /** Default `x-pica-secret`; `x-one-secret` for the "One" host. */
  readonly authHeader?: string | undefined
  /** Further attempts after the first, for transient failures other than 429. Default 4. */
  readonly maxRetries?: number | undefined
  /** Keep retrying transient failures only this long after a request's first attempt. Default: no limit but `maxRetries`. */
  readonly retryFor?: Duration.DurationInput | undefined
  /** Default 250 millis. */
  readonly retryBaseDelay?: Duration.DurationInput | undefined
  /** Caps every backoff delay. Default 20 seconds. */
  readonly retryMaxDelay?: Duration.DurationInput | undefined
  /** Further attempts after a 429, apart from `maxRetries`. Default 10. */
  readonly rateLimitRetries?: number | undefined
  /** Caps each wait a 429 asks for (the real service asks for its 60-second window). Default 65 seconds. */
  readonly rateLimitMaxWait?: Duration.DurationInput | undefined
  /** Per attempt, body included. Default 30 seconds. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** `limit` of each page a stream asks for. Default 100. */
  readonly pageSize?: number | undefined
}

export interface Service {
  /** One page of connections: the rows read, and beside them those the client could not read. */
  readonly listConnections: (params?: ListConnectionsParams) => Effect.Effect<ConnectionsPage.ConnectionsPage, PicaError>
  /** Every page from `params.page` (default 1) on, in server order. */
  readonly streamPages: (
    params?: ListConnectionsParams,
    options?: PaginationOptions
  ) => Stream.Stream<ConnectionsPage.ConnectionsPage, PicaError>
  /** Every connection read, in server order; each row that could not be read is logged as a warning (`streamPages` has them). */
  readonly streamConnections: (
    params?: ListConnectionsParams,
    options?: PaginationOptions
  ) => Stream.Stream<Connection, PicaError>
  readonly getConnection: (id: string) => Effect.Effect<Connection, PicaError>
  /**
   * Replaces the connection's tags; returns the connection as the server now has it, re-read when
   * the answer is not one, or none when the deployment can neither answer with it nor be asked for it.
   */
  readonly updateConnectionTags: (
    id: string,
    tags: ReadonlyArray<string>
  ) => Effect.Effect<Option.Option<Connection>, PicaError>
  readonly deleteConnection: (id: string) => Effect.Effect<void, PicaError>
  readonly listConnectors: (params?: ListConnectorsParams) => Effect.Effect<ConnectorsPage, PicaError>
  readonly streamConnectors: (
    params?: ListConnectorsParams,
    options?: PaginationOptions
  ) => Stream.Stream<Connector, PicaError>
}

const connectionsParams = toUrlParams(ListConnectionsParams)
const connectorsParams = toUrlParams(ListConnectorsParams)
const TagsBody = Schema.Struct({ tags: Schema.Array(Schema.String) })
const decodeConnection = decodeBody(ConnectionsPage.ConnectionFromWire)
const readConnectionsPage = readBody(ConnectionsPage.read)
const decodeConnectorsPage = decodeBody(ConnectorsPage)

/** What went wrong under the HTTP client, from its own words or its cause's. */
const underlyingReason = (error: HttpClientError.HttpClientError): string => {
  if (error.description !== undefined) return error.description
  const cause = error.cause
  if (!(cause instanceof Error)) return `${error.reason} error`
  // Undici's AggregateError for a refused connection has an empty message but a code.
  const code = (cause as { readonly code?: unknown }).code
  return cause.message !== "" ? cause.message : typeof code === "string" ? code : cause.name
}

/** The reason, with any credentials of a URL in it shown as `***`. */
const describe = (error: HttpClientError.HttpClientError): string => UrlCredentials.redact(underlyingReason(error))

/** Builds the client over whichever `HttpClient` the application provides. */
export const make = Effect.fnUntraced(function*(options: Options) {
  const httpClient = yield* HttpClient.HttpClient
  // A user and password in the base URL go as a Basic header: the URL that errors and spans show has none.
  const base = UrlCredentials.split(options.baseUrl ?? DEFAULT_BASE_URL)
  const baseUrl = base.url.replace(/\/+$/, "")
  const shownBaseUrl = base.authorization === undefined ? baseUrl : baseUrl.replace("://", `://${UrlCredentials.MASK}@`)
  const authHeader = (options.authHeader ?? DEFAULT_AUTH_HEADER).toLowerCase()
  const pageSize = options.pageSize ?? 100
  const requestTimeout = Duration.decode(options.requestTimeout ?? Duration.seconds(30))
  const policy: RetryPolicy = {
    maxRetries: options.maxRetries ?? 4,
    retryFor: options.retryFor === undefined ? undefined : Duration.decode(options.retryFor),
    baseDelay: Duration.decode(options.retryBaseDelay ?? Duration.millis(250)),
    maxDelay: Duration.decode(options.retryMaxDelay ?? Duration.seconds(20)),
    rateLimitRetries: options.rateLimitRetries ?? 10,
    rateLimitMaxWait: Duration.decode(options.rateLimitMaxWait ?? Duration.seconds(65))
  }
  const gate = yield* makeGate
  const client = httpClient.pipe(
    HttpClient.mapRequest((request) =>
      request.pipe(
        HttpClientRequest.prependUrl(baseUrl),
        HttpClientRequest.setHeader(authHeader, RedactedValue.value(options.secretKey)),
        base.authorization === undefined ? identity : HttpClientRequest.setHeader("authorization", base.authorization),
        HttpClientRequest.acceptJson
      )
    )
  )
  // The platform redacts these header names in spans and logs; the secret's header may be renamed.
  const withSecretRedacted = Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, authHeader])

  /** One attempt: the whole answer read within the timeout, transport faults as `PicaTransportError`. */
  const send = (request: HttpClientRequest.HttpClientRequest, attempt: Attempt): Effect.Effect<Answer, PicaError> =>
    client.execute(request).pipe(
      Effect.flatMap((response) =>
        Effect.map(response.text, (body): Answer => ({ status: response.status, headers: response.headers, body }))
      ),
      Effect.catchTags({
        RequestError: (error) => Effect.fail(new PicaTransportError({ ...attempt, reason: describe(error) })),
        ResponseError: (error) =>
          Effect.fail(new PicaTransportError({ ...attempt, reason: `the answer was cut off (${describe(error)})` }))
      }),
      Effect.timeoutFail({
        duration: requestTimeout,
        onTimeout: () => new PicaTransportError({ ...attempt, reason: `no complete answer within ${Duration.format(requestTimeout)}` })
      })
    )

  /** Sends a request with retries and reads a 2xx answer with `read`. */
  const execute = <A>(
    request: HttpClientRequest.HttpClientRequest,
    read: (attempt: Attempt, answer: Answer) => Either.Either<A, PicaError>
  ): Effect.Effect<A, PicaError> => {
    const query = new URLSearchParams(request.urlParams as Array<[string, string]>).toString()
    const url = `${shownBaseUrl}${request.url}${query === "" ? "" : `?${query}`}`
    return withRetries(policy, gate, (attempts) => {
      const attempt: Attempt = { method: request.method, url, attempts }
      return gate.enter.pipe(
        Effect.flatMap((ticket) => Effect.tap(send(request, attempt), (answer) => gate.observe(ticket, answer.headers))),
        Effect.flatMap((answer) =>
          answer.status >= 200 && answer.status < 300
            ? read(attempt, answer)
            : Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(statusError(attempt, answer, now)))
        )
      )
    }).pipe(withSecretRedacted)
  }

  const invalid = (method: string, path: string, field: string, reason: string) =>
    new PicaBadRequestError({ method, url: `${shownBaseUrl}${path}`, attempts: 0, field, reason })

  const checkedParams = (
    path: string,
    encode: (params: unknown) => Either.Either<UrlParams, { readonly field: string; readonly reason: string }>,
    params: unknown
  ) => Either.mapLeft(encode(params), ({ field, reason }) => invalid("GET", path, field, reason))

  const connectionPath = (method: string, id: string) =>
    id.trim() === ""
      ? Either.left(invalid(method, "/v1/vault/connections/{id}", "id", "the id is empty"))
      : Either.right(`/v1/vault/connections/${encodeURIComponent(id)}`)

  const listConnections = Effect.fn("PicaClient.listConnections")(function*(params: ListConnectionsParams = {}) {
    const urlParams = yield* checkedParams("/v1/vault/connections", connectionsParams, params)
    return yield* execute(HttpClientRequest.get("/v1/vault/connections", { urlParams }), readConnectionsPage)
  })

  const listConnectors = Effect.fn("PicaClient.listConnectors")(function*(params: ListConnectorsParams = {}) {
    const urlParams = yield* checkedParams("/v1/available-connectors", connectorsParams, params)
    return yield* execute(HttpClientRequest.get("/v1/available-connectors", { urlParams }), decodeConnectorsPage)
  })

  const streamPages = (params: ListConnectionsParams = {}, paging?: PaginationOptions) =>
    paginate((page) => listConnections({ ...params, limit: params.limit ?? pageSize, page }), params.page ?? 1, paging)
      .pipe(Stream.withSpan("PicaClient.streamPages"))

  const streamConnections = (params?: ListConnectionsParams, paging?: PaginationOptions) =>
    streamPages(params, paging).pipe(
      Stream.tap((page) =>
        Effect.forEach(page.unreadable, (row) => Effect.logWarning(`page ${page.page}: ${row.message}`), { discard: true })
      ),
      Stream.mapConcat((page) => page.rows),
      Stream.withSpan("PicaClient.streamConnections")
    )

  const streamConnectors = (params: ListConnectorsParams = {}, paging?: PaginationOptions) =>
    paginate((page) => listConnectors({ ...params, limit: params.limit ?? pageSize, page }), params.page ?? 1, paging)
      .pipe(Stream.mapConcat((page) => page.rows), Stream.withSpan("PicaClient.streamConnectors"))

  const getConnection = Effect.fn("PicaClient.getConnection")(function*(id: string) {
    const path = yield* connectionPath("GET", id)
    return yield* execute(HttpClientRequest.get(path), decodeConnection)
  })

  const updateConnectionTags = Effect.fn("PicaClient.updateConnectionTags")(
    function*(id: string, tags: ReadonlyArray<string>) {
      const path = yield* connectionPath("PATCH", id)
      const request = yield* HttpClientRequest.patch(path).pipe(
        HttpClientRequest.schemaBodyJson(TagsBody)({ tags }),
        Effect.mapError(() => invalid("PATCH", path, "tags", "tags must be strings"))
      )
      const answer = yield* execute(request, (attempt, answer) =>
        Either.right(Either.getRight(decodeConnection(attempt, answer))))
      if (Option.isSome(answer)) return answer
      // A bare 200 (as the docs once said): the update is done, so ask for the connection as it now is.
      return yield* getConnection(id).pipe(
        Effect.asSome,
        Effect.catchTag("PicaUnsupportedError", () => Effect.succeedNone)
      )
    }
  )

  const deleteConnection = Effect.fn("PicaClient.deleteConnection")(function*(id: string) {
    const path = yield* connectionPath("DELETE", id)
    // The body of a successful DELETE is not specified: only the status counts.
    yield* execute(HttpClientRequest.del(path), () => Either.void)
  })

  return identity<Service>({
    listConnections,
    streamPages,
    streamConnections,
    getConnection,
    updateConnectionTags,
    deleteConnection,
    listConnectors,
    streamConnectors
  })
})

export const layer = (options: Options): Layer.Layer<PicaClient, never, HttpClient.HttpClient> =>
  Layer.effect(PicaClient, make(options))

const AbsoluteUrl = Config.string("PICA_BASE_URL").pipe(
  Config.validate({
    message: "PICA_BASE_URL must be an absolute http(s) URL such as https://api.picaos.com",
    validation: (url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol)
  }),
  Config.withDefault(DEFAULT_BASE_URL)
)

/**
 * Reads `PICA_SECRET_KEY` (required), `PICA_BASE_URL` and `PICA_AUTH_HEADER` from the
 * environment (or the current `ConfigProvider`); the other options are given as values.
 */
export const layerConfig = (
  options: Omit<Options, "secretKey" | "baseUrl" | "authHeader"> = {}
): Layer.Layer<PicaClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    PicaClient,
    Effect.gen(function*() {
      const secretKey = yield* Config.redacted("PICA_SECRET_KEY")
      const baseUrl = yield* AbsoluteUrl
      const authHeader = yield* Config.string("PICA_AUTH_HEADER").pipe(Config.withDefault(DEFAULT_AUTH_HEADER))
      return yield* make({ ...options, secretKey, baseUrl, authHeader })
    })
  )

/** The Pica vault-connections API as an Effect service: `yield* PicaClient`, provided by `PicaClient.layer`. */
export class PicaClient extends Context.Tag("@picasync/client/PicaClient")<PicaClient, Service>() {
  static readonly make = make
  static readonly layer = layer
  static readonly layerConfig = layerConfig
}
