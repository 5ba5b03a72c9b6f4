import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { MockPica } from "@picasync/mock"
import { Chunk, ConfigProvider, Option, Duration, Effect, Exit, Fiber, Layer, Redacted, Stream, TestClock, Tracer } from "effect"
import { ConnectionState } from "../src/Connection.js"
import { PicaClient, type Options } from "../src/PicaClient.js"

type MockOptions = Parameters<typeof MockPica.start>[0]

/** A client over a real Node HTTP client that lives as long as the test's scope. */
const makeClient = (options: Options) =>
  Effect.flatMap(Layer.build(NodeHttpClient.layerUndici), (http) => Effect.provide(PicaClient.make(options), http))

/** A mock on a loopback port and a client pointed at it; retries are fast unless a test says otherwise. */
const setup = (mockOptions: MockOptions = {}, clientOptions: Partial<Options> = {}) =>
  Effect.gen(function*() {
    const mock = yield* MockPica.start(mockOptions)
    const client = yield* makeClient({
      secretKey: Redacted.make(mock.secret),
      baseUrl: mock.url,
      retryBaseDelay: Duration.millis(1),
      retryMaxDelay: Duration.millis(5),
      ...clientOptions
    })
    const requestCount = Effect.map(mock.requests, (requests) => requests.length)
    return { mock, client, requestCount }
  })

const activeIds = (mock: MockPica.MockPicaServer) =>
  Effect.map(mock.inventory, (rows) => rows.filter((row) => row.active).map((row) => row.id))

/** An attempt's timeout, far longer than any wait between attempts, so the two sleeps are told apart. */
const requestTimeout = Duration.hours(1)
/** Longer than any wait between attempts in these tests (a 429 waits 65 s at most). */
const longestWait = Duration.minutes(10)

/**
 * Waits, in real time, until the client is asleep on the TestClock between two attempts; returns the
 * wake-up time, or undefined once `fiber` (when given) has ended instead.
 */
const untilRetryPendingOrDone = (fiber?: Fiber.Fiber<unknown, unknown>) => Effect.gen(function*() {
  for (let polls = 0; polls < 5_000; polls++) {
    if (fiber !== undefined && (yield* Fiber.poll(fiber))._tag === "Some") return undefined
    const now = yield* TestClock.currentTimeMillis
    // Attempts' timeouts (an hour each, left behind by earlier attempts too) are never this close.
    const retry = Chunk.findFirst(yield* TestClock.sleeps(), (wakeAt) => wakeAt - now <= Duration.toMillis(longestWait))
    if (retry._tag === "Some") return retry.value
    yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
  }
  return yield* Effect.dieMessage("the client never waited before retrying")
})

const untilRetryPending = Effect.map(untilRetryPendingOrDone(), (wakeAt) => wakeAt!)

describe("PicaClient", () => {
  describe("listing", () => {
    it.scopedLive("sends every parameter in its wire form", () =>
      Effect.gen(function*() {
        const { client, mock } = yield* setup()
        yield* client.listConnections({
          key: ["test::stripe::default::00000000000000000000000000000000", "live::slack::default::1|team_9"],
          platformVersion: "1.0.0",
          name: "Main account",
          identityType: "team",
          identity: "team_9",
          platform: "stripe",
          tags: ["billing", "eu"],
          active: false,
          limit: 7,
          page: 2
        })
        const [request] = yield* mock.requests
        assert.strictEqual(request?.path, "/v1/vault/connections")
        assert.deepStrictEqual(request?.query, {
          key: "test::stripe::default::00000000000000000000000000000000,live::slack::default::1|team_9",
          platformVersion: "1.0.0",
          name: "Main account",
          identityType: "team",
          identity: "team_9",
          platform: "stripe",
          tags: "billing,eu",
          active: "false",
          limit: "7",
          page: "2"
        })
      }))

    it.scopedLive("refuses invalid parameters before any request, naming the field", () =>
      Effect.gen(function*() {
        const { client, requestCount } = yield* setup()
        const error = yield* Effect.flip(client.listConnections({ limit: 0 }))
        assert.strictEqual(error._tag, "PicaBadRequestError")
        assert.strictEqual(error._tag === "PicaBadRequestError" && error.field, "limit")
        const comma = yield* Effect.flip(client.listConnections({ tags: ["a,b"] }))
        assert.strictEqual(comma._tag === "PicaBadRequestError" && comma.field, "tags[0]")
        assert.strictEqual(yield* requestCount, 0)
      }))

    it.scopedLive("streams every connection in server order, concurrently or not", () =>
      Effect.gen(function*() {
        // Ties shuffled across a page boundary or hidden rows would make "every row once, in order" untrue of the server itself.
        const { client, mock, requestCount } = yield* setup({ count: 1_050, seed: 3, shuffleTies: false, hiddenShare: 0 })
        const expected = yield* activeIds(mock)
        const pages = Math.ceil(expected.length / 100)
        for (const concurrency of [1, 4]) {
          yield* mock.clearRequests
          const rows = yield* Stream.runCollect(client.streamConnections({}, { concurrency }))
          assert.deepStrictEqual(Chunk.toArray(Chunk.map(rows, (row) => row.id)), expected)
          assert.strictEqual(yield* requestCount, pages)
        }
      }))

    it.scopedLive("a consumer that stops early stops the requests", () =>
      Effect.gen(function*() {
        const { client, requestCount } = yield* setup({ count: 1_000 })
        const rows = yield* Stream.runCollect(Stream.take(client.streamConnections(), 150))
        assert.strictEqual(rows.length, 150)
        assert.strictEqual(yield* requestCount, 2)
      }))

    it.scopedLive("goes on past a page shorter than its limit", () =>
      Effect.gen(function*() {
        const { client, mock } = yield* setup({ count: 400, hiddenShare: 0, shuffleTies: false, faults: { truncate: { page: 2 } } })
        const expected = yield* activeIds(mock)
        const pages = yield* Stream.runCollect(client.streamPages())
        assert.strictEqual(pages.length, Math.ceil(expected.length / 100))
        assert.strictEqual(Chunk.unsafeGet(pages, 1).rows.length, 99)
        const ids = Chunk.toArray(pages).flatMap((page) => page.rows.map((row) => row.id))
        assert.strictEqual(ids.length, expected.length - 1)
        assert.isTrue(ids.every((id) => expected.includes(id)))
      }))

    it.scopedLive("stops at the first empty page, whatever page 1 promised", () =>
      Effect.gen(function*() {
        const { client, requestCount } = yield* setup({ count: 500, faults: { drift: { afterPage: 1, delete: 450 } } })
        const pages = yield* Stream.runCollect(client.streamPages({}, { concurrency: 1 }))
        assert.isTrue(Chunk.unsafeHead(pages).pages >= 4)
        assert.strictEqual(pages.length, 1)
        assert.strictEqual(yield* requestCount, 2)
      }))

    it.scopedLive("an empty inventory is one empty page", () =>
      Effect.gen(function*() {
        const { client, requestCount } = yield* setup({ count: 0 })
        const pages = yield* Stream.runCollect(client.streamPages())
        assert.deepStrictEqual(Chunk.toArray(pages), [{ rows: [], unreadable: [], total: 0, pages: 0, page: 1 }])
        assert.strictEqual(yield* requestCount, 1)
      }))

    it.scopedLive("passes unknown fields and unknown enum values through", () =>
      Effect.gen(function*() {
        const { client, mock } = yield* setup({ count: 0 })
        const row = yield* mock.insert({ active: true, state: "paused", environment: "staging", legacyRef: "L-1" })
        const [listed] = (yield* client.listConnections()).rows
        assert.strictEqual(listed?.id, row.id)
        assert.strictEqual(listed?.state, "paused")
        assert.isFalse(listed?.state !== undefined && ConnectionState.isKnown(listed.state))
        assert.strictEqual(listed?.environment, "staging")
        assert.strictEqual(listed?.legacyRef, "L-1")
      }))

    it.scopedLive("streams connectors", () =>
      Effect.gen(function*() {
        const { client } = yield* setup()
        const first = yield* client.listConnectors({ limit: 5 })
        const all = yield* Stream.runCollect(client.streamConnectors({ limit: 5 }, { concurrency: 2 }))
        assert.strictEqual(all.length, first.total)
        assert.deepStrictEqual(Chunk.toArray(Stream.take(Stream.fromChunk(all), 5).pipe(Stream.runCollect, Effect.runSync)), first.rows)
      }))
  })

  describe("one connection", () => {
    it.scopedLive("gets, retags and deletes a connection", () =>
      Effect.gen(function*() {
        const { client, mock } = yield* setup({ count: 5 })
        const [id] = yield* activeIds(mock)
        assert.isDefined(id)
        if (id === undefined) return
        assert.strictEqual((yield* client.getConnection(id)).id, id)
        const updated = yield* client.updateConnectionTags(id, ["eu", "billing"])
        assert.deepStrictEqual(Option.map(updated, (row) => row.tags), Option.some(["eu", "billing"]))
        yield* client.deleteConnection(id)
        const gone = yield* Effect.flip(client.getConnection(id))
        assert.strictEqual(gone._tag, "PicaNotFoundError")
        assert.strictEqual(gone.status, 404)
      }))
  })

  describe("errors", () => {
    it.scopedLive("a wrong secret is a PicaAuthError, not retried, and never shows the secret", () =>
      Effect.gen(function*() {
        const { mock } = yield* setup()
        const secret = "sk_test_WRONG_but_still_secret"
        const client = yield* makeClient({ secretKey: Redacted.make(secret), baseUrl: mock.url })
        const error = yield* Effect.flip(client.listConnections())
        assert.strictEqual(error._tag, "PicaAuthError")
        assert.strictEqual(error.status, 401)
        assert.strictEqual(error.serverCode, 2010)
        assert.strictEqual(error.attempts, 1)
        assert.strictEqual((yield* mock.requests).length, 1)
        for (const shown of [error.message, String(error), JSON.stringify(error)]) {
          assert.notInclude(shown, secret)
        }
      }))

    const statuses = [
      [403, "PicaAuthError"],
      [400, "PicaBadRequestError"],
      [422, "PicaBadRequestError"]
    ] as const
    for (const [status, tag] of statuses) {
      it.scopedLive(`${status} is a ${tag}, not retried`, () =>
        Effect.gen(function*() {
          const { client, requestCount } = yield* setup({ faults: { script: [{ status }] } })
          const error = yield* Effect.flip(client.listConnections())
          assert.strictEqual(error._tag, tag)
          assert.strictEqual(error.status, status)
          assert.strictEqual(yield* requestCount, 1)
        }))
    }

    it.scopedLive("5xx is retried within the budget, then a PicaServerError", () =>
      Effect.gen(function*() {
        const { client, requestCount } = yield* setup(
          { faults: { script: [{ status: 503 }, { status: 502 }, { status: 504 }] } },
          { maxRetries: 2 }
        )
        const error = yield* Effect.flip(client.listConnections())
        assert.strictEqual(error._tag, "PicaServerError")
        assert.strictEqual(error.status, 504)
        assert.strictEqual(error.attempts, 3)
        assert.strictEqual(yield* requestCount, 3)
      }))

    it.scopedLive("recovers from 500, an HTML 502, a cut body and a 429 within the budget", () =>
      Effect.gen(function*() {
        const { client, requestCount } = yield* setup({
          count: 10,
          faults: { script: [{ status: 500 }, { html: true }, { cut: true }, { status: 429, retryAfter: "0" }] }
        })
        const page = yield* client.listConnections()
        assert.isTrue(page.rows.length > 0)
        assert.strictEqual(yield* requestCount, 5)
      }))

    it.scopedLive("429 past the budget is a PicaRateLimitError", () =>
      Effect.gen(function*() {
        const { client, requestCount } = yield* setup(
          { faults: { script: [{ status: 429, retryAfter: "0" }, { status: 429, retryAfter: "0" }] } },
          { maxRetries: 5, rateLimitRetries: 1 }
        )
        const error = yield* Effect.flip(client.listConnections())
        assert.strictEqual(error._tag, "PicaRateLimitError")
        assert.strictEqual(error.attempts, 2)
        assert.strictEqual(yield* requestCount, 2)
      }))

    it.scopedLive("a body cut off is a PicaTransportError", () =>
      Effect.gen(function*() {
        const { client } = yield* setup({ count: 10, faults: { script: [{ cut: true }] } }, { maxRetries: 0 })
        const error = yield* Effect.flip(client.listConnections())
        assert.strictEqual(error._tag, "PicaTransportError")
      }))

    it.scopedLive("a refused connection is a PicaTransportError", () =>
      Effect.gen(function*() {
        const client = yield* makeClient({ secretKey: Redacted.make("sk_test_x"), baseUrl: "http://127.0.0.1:1", maxRetries: 0 })
        const error = yield* Effect.flip(client.listConnections())
        assert.strictEqual(error._tag, "PicaTransportError")
        assert.isUndefined(error.status)
      }))

    it.scopedLive("an attempt slower than the timeout is a PicaTransportError", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(
          { faults: { script: [{ delayMs: 5_000 }] } },
          { maxRetries: 0, requestTimeout: Duration.millis(100) }
        )
        const error = yield* Effect.flip(client.listConnections())
        assert.strictEqual(error._tag, "PicaTransportError")
        assert.include(error.message, "no complete answer within")
      }))

    it.scopedLive("a body that is not a page is a PicaDecodeError naming the place; a row without key is kept aside", () =>
      Effect.gen(function*() {
        const noKey = JSON.stringify({ rows: [{ id: "x" }], total: 1, pages: 1, page: 1 })
        const noRows = JSON.stringify({ total: 1, pages: 1, page: 1 })
        const { client } = yield* setup({
          faults: { script: [{ body: "<html>oops</html>" }, { body: noRows }, { body: noKey }] }
        })
        const html = yield* Effect.flip(client.listConnections())
        assert.strictEqual(html._tag === "PicaDecodeError" && html.path, "body")
        const missing = yield* Effect.flip(client.listConnections())
        assert.strictEqual(missing._tag === "PicaDecodeError" && missing.path, "rows")
        const page = yield* client.listConnections()
        assert.deepStrictEqual(page.unreadable.map((row) => [row.id, row.path]), [["x", "rows[0].key"]])
      }))
  })

  describe("rate limits", () => {
    const waits = [
      ["Retry-After in seconds", { status: 429, retryAfter: "3" }, 3_000],
      ["Retry-After as an HTTP date", { status: 429, retryAfter: new Date(5_000).toUTCString() }, 5_000],
      ["the reset header", { status: 429, reset: 2 }, 2_000],
      ["the real limiter's 60-second reset, past retryMaxDelay", { status: 429, reset: 60 }, 60_000],
      ["Retry-After capped by rateLimitMaxWait (default 65 s)", { status: 429, retryAfter: "600" }, 65_000]
    ] as const
    for (const [what, step, wait] of waits) {
      it.scoped(`waits for ${what}`, () =>
        Effect.gen(function*() {
          const { client, requestCount } = yield* setup(
            { count: 3, faults: { script: [step] } },
            { retryMaxDelay: Duration.seconds(10), requestTimeout }
          )
          const fiber = yield* Effect.fork(client.listConnections())
          const wakeAt = yield* untilRetryPending
          assert.strictEqual(wakeAt - (yield* TestClock.currentTimeMillis), wait)
          assert.strictEqual(yield* requestCount, 1)
          yield* TestClock.adjust(Duration.millis(wait))
          const page = yield* Fiber.join(fiber)
          assert.strictEqual(page.total, 3)
          assert.strictEqual(yield* requestCount, 2)
        }))
    }
  })

  describe("the real service (docs/pica-api.md)", () => {
    it.scopedLive("null fields: null and absent read alike in every field but id and key, no row unreadable", () =>
      Effect.gen(function*() {
        const { client, mock } = yield* setup({ count: 2_000, seed: 5 })
        const rows = yield* Stream.runCollect(client.streamPages({}, { concurrency: 4 }))
        const listed = Chunk.toArray(rows).flatMap((page) => page.rows)
        assert.deepStrictEqual(Chunk.toArray(rows).flatMap((page) => page.unreadable), [])
        for (const field of ["identity", "identityType", "name", "state", "tags"]) {
          assert.isTrue(listed.some((row) => row[field] === null), `some row sends ${field}: null`)
        }
        assert.strictEqual(listed.length, (yield* activeIds(mock)).length)
      }))

    it.scopedLive("older shape: _id and epoch-millisecond createdAt are read as id and ISO 8601", () =>
      Effect.gen(function*() {
        const { client, mock } = yield* setup({ count: 30, legacyShape: true, shuffleTies: false, hiddenShare: 0 })
        const page = yield* client.listConnections({ limit: 100 })
        const expected = yield* activeIds(mock)
        assert.deepStrictEqual(page.rows.map((row) => row.id), expected)
        assert.deepStrictEqual(page.unreadable, [])
        const truth = new Map((yield* mock.inventory).map((row) => [row.id, row.createdAt]))
        for (const row of page.rows) {
          assert.strictEqual(row.createdAt, new Date(Date.parse(truth.get(row.id)!)).toISOString())
          assert.isFalse("_id" in row)
        }
        const one = yield* client.getConnection(expected[0]!)
        assert.strictEqual(one.id, expected[0])
      }))

    it.scopedLive("one unreadable row, with or without an id, never fails its page in the middle of a listing", () =>
      Effect.gen(function*() {
        const { client, mock } = yield* setup({ count: 250, hiddenShare: 0, shuffleTies: false })
        const [, middle] = yield* activeIds(mock).pipe(Effect.map((ids) => [ids[0], ids[150]]))
        yield* mock.update(middle!, { tags: "billing", state: 7 })
        const pages = Chunk.toArray(yield* Stream.runCollect(client.streamPages({}, { concurrency: 2 })))
        const unreadable = pages.flatMap((page) => page.unreadable.map((row) => ({ page: page.page, ...row })))
        assert.deepStrictEqual(unreadable.map(({ id, page, path, position }) => ({ id, page, path, position })), [
          { id: middle, page: 2, path: "rows[50].state", position: 50 }
        ])
        assert.strictEqual(pages.flatMap((page) => page.rows).length, (yield* activeIds(mock)).length - 1)
        const noId = JSON.stringify({ rows: [{ key: "k", tags: [] }, { id: "ok", key: "k2" }], total: 2, pages: 1, page: 1 })
        yield* mock.setFaults({ script: [{ body: noId }] })
        const page = yield* client.listConnections()
        assert.deepStrictEqual(page.rows.map((row) => row.id), ["ok"])
        assert.deepStrictEqual(page.unreadable.map((row) => [row.id, row.path, row.raw]), [[undefined, "rows[0].id", { key: "k", tags: [] }]])
      }))

    it.scopedLive("GET by id answering 405 (absent from the open backend) is a PicaUnsupportedError", () =>
      Effect.gen(function*() {
        const { client, mock } = yield* setup({ count: 5, getById: false })
        const [id] = yield* activeIds(mock)
        const error = yield* Effect.flip(client.getConnection(id!))
        assert.strictEqual(error._tag, "PicaUnsupportedError")
        assert.strictEqual(error.status, 405)
        assert.strictEqual(error.attempts, 1)
      }))

    it.scopedLive("PATCH answering a bare 200 still succeeds: re-read when GET works, none when it does not", () =>
      Effect.gen(function*() {
        const { client, mock } = yield* setup({ count: 5, patchAnswer: "empty" })
        const [id] = yield* activeIds(mock)
        const reread = yield* client.updateConnectionTags(id!, ["eu"])
        assert.deepStrictEqual(Option.map(reread, (row) => row.tags), Option.some(["eu"]))
        yield* mock.setCompat({ getById: false })
        assert.isTrue(Option.isNone(yield* client.updateConnectionTags(id!, ["us"])))
        assert.deepStrictEqual((yield* mock.inventory).find((row) => row.id === id)?.tags, ["us"])
      }))

    it.scoped("a 90-second outage in the middle of a request is ridden out with retryFor, on the TestClock", () =>
      Effect.gen(function*() {
        const { client, mock, requestCount } = yield* setup(
          { count: 3, faults: { errors: { rate: 1, statuses: [503] } } },
          {
            maxRetries: 1_000,
            retryFor: Duration.minutes(3),
            retryBaseDelay: Duration.millis(250),
            retryMaxDelay: Duration.seconds(20),
            requestTimeout
          }
        )
        const fiber = yield* Effect.fork(client.listConnections())
        while ((yield* TestClock.currentTimeMillis) < 90_000) {
          const wakeAt = yield* untilRetryPending
          assert.isTrue(wakeAt - (yield* TestClock.currentTimeMillis) <= 20_000)
          yield* TestClock.setTime(wakeAt)
        }
        yield* mock.clearFaults
        const wakeAt = yield* untilRetryPending
        yield* TestClock.setTime(wakeAt)
        const page = yield* Fiber.join(fiber)
        assert.strictEqual(page.total, 3)
        assert.isAbove(yield* requestCount, 8)
      }))

    it.scoped("retryFor ends a longer outage with the last error, within the time asked", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(
          { count: 3, faults: { errors: { rate: 1, statuses: [503] } } },
          { maxRetries: 1_000, retryFor: Duration.seconds(30), retryMaxDelay: Duration.seconds(5), requestTimeout }
        )
        const fiber = yield* Effect.fork(client.listConnections())
        for (let wakeAt = yield* untilRetryPendingOrDone(fiber); wakeAt !== undefined; wakeAt = yield* untilRetryPendingOrDone(fiber)) {
          yield* TestClock.setTime(wakeAt)
        }
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual(error._tag, "PicaServerError")
        const ended = yield* TestClock.currentTimeMillis
        assert.isTrue(ended <= 30_000, `ended at ${ended}`)
      }))
  })

  describe("layerConfig", () => {
    const fromEnv = (env: Record<string, string>) =>
      Effect.flatMap(PicaClient, (client) => client.listConnections()).pipe(
        Effect.provide(PicaClient.layerConfig({ maxRetries: 0 }).pipe(Layer.provide(NodeHttpClient.layerUndici))),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
      )

    it.scopedLive("reads the secret, base URL and header name from the environment", () =>
      Effect.gen(function*() {
        const { mock } = yield* setup({ count: 4, authHeader: "x-one-secret" })
        const page = yield* fromEnv({ PICA_SECRET_KEY: mock.secret, PICA_BASE_URL: mock.url, PICA_AUTH_HEADER: "x-one-secret" })
        assert.strictEqual(page.total, (yield* activeIds(mock)).length)
      }))

    it.scopedLive("refuses a missing secret and a base URL that is not absolute, naming the variable", () =>
      Effect.gen(function*() {
        const missing = yield* Effect.flip(fromEnv({}))
        assert.include(String(missing), "PICA_SECRET_KEY")
        const relative = yield* Effect.flip(fromEnv({ PICA_SECRET_KEY: "sk_test_1", PICA_BASE_URL: "api.picaos.com" }))
        assert.include(String(relative), "PICA_BASE_URL")
      }))
  })

  describe("tracing", () => {
    it.scopedLive("names every operation's span and redacts the secret header", () =>
      Effect.gen(function*() {
        const { client, mock } = yield* setup({ count: 3 })
        const base = yield* Effect.tracer
        const spans: Array<Tracer.Span> = []
        const recording = Tracer.make({
          context: base.context,
          span: (...args) => {
            const span = base.span(...args)
            spans.push(span)
            return span
          }
        })
        const exit = yield* Effect.exit(Effect.withTracer(client.listConnections(), recording))
        assert.isTrue(Exit.isSuccess(exit))
        assert.include(spans.map((span) => span.name), "PicaClient.listConnections")
        const attributes = spans.flatMap((span) => [...span.attributes.entries()])
        const header = attributes.find(([name]) => name === `http.request.header.${mock.authHeader}`)
        assert.isDefined(header)
        assert.notInclude(JSON.stringify(attributes), mock.secret)
      }))
  })
})
