import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { MockPica } from "@picasync/mock"
import { Duration, Effect, Layer, Redacted, Stream } from "effect"
import { PicaClient } from "../src/PicaClient.js"
import { remaining, resetMillis } from "../src/RateLimit.js"

type MockOptions = Parameters<typeof MockPica.start>[0]

const client = (mock: MockPica.MockPicaServer) =>
  Effect.flatMap(Layer.build(NodeHttpClient.layerUndici), (http) =>
    Effect.provide(
      PicaClient.make({
        secretKey: Redacted.make(mock.secret),
        baseUrl: mock.url,
        pageSize: 10,
        retryBaseDelay: Duration.millis(1),
        retryMaxDelay: Duration.millis(5)
      }),
      http
    ))

/** Streams a whole listing of 10-row pages through a client, `concurrency` pages at once. */
const scan = (options: MockOptions, concurrency: number) =>
  Effect.gen(function*() {
    const mock = yield* MockPica.start({ count: 400, ...options })
    const pica = yield* client(mock)
    const rows = yield* Stream.runCount(pica.streamConnections({}, { concurrency }))
    return { mock, rows, log: yield* mock.requests }
  })

describe("RateLimit", () => {
  it("reads the rate-limit headers under x-pica- and x-one-", () => {
    assert.strictEqual(remaining({ "x-pica-rate-limit-remainings": "0" }), 0)
    assert.strictEqual(remaining({ "x-one-rate-limit-remainings": "7" }), 7)
    assert.isUndefined(remaining({ "x-pica-rate-limit-remainings": "" }))
    assert.strictEqual(resetMillis({ "x-one-rate-limit-reset": "60" }, 0), 60_000)
  })

  // Rate limit (docs/pica-api.md): a fixed window per organisation, `remainings` true, `reset` always the window's length.
  for (const prefix of ["x-pica-", "x-one-"]) {
    it.scopedLive(`under a fixed window (headers ${prefix}…), requests hold once remainings reach 0 until the window turns: no 429`, () =>
      Effect.gen(function*() {
        const { log, mock, rows } = yield* scan(
          { limiter: { limit: 12, windowMs: 300 }, rateLimitHeaderPrefix: prefix, hiddenShare: 0 },
          4
        )
        assert.strictEqual(rows, (yield* mock.inventory).filter((row) => row.active).length)
        assert.deepStrictEqual(log.filter((entry) => entry.status !== 200), [])
        const windows = new Set(log.map((entry) => entry.window))
        assert.isAbove(windows.size, 2, "the listing needed several windows")
        log.forEach((entry, i) => {
          const next = log[i + 1]
          if (entry.remaining === 0 && next !== undefined) {
            assert.isAbove(next.window!, entry.window!, `request ${i + 1} was sent into a spent window`)
          }
        })
      }), { timeout: 30_000 })
  }

  it.scopedLive("a 429 from a window spent elsewhere holds every request of the client until it turns, then succeeds", () =>
    Effect.gen(function*() {
      // A window long enough that it cannot turn between the spending and the client's first request, on a loaded machine.
      const mock = yield* MockPica.start({ count: 400, limiter: { limit: 20, windowMs: 1_500 }, hiddenShare: 0 })
      // Another process of the same organisation spends the window first.
      yield* Effect.forEach(Array.from({ length: 20 }), () =>
        Effect.promise(() => fetch(`${mock.url}/v1/vault/connections?limit=1`, { headers: { [mock.authHeader]: mock.secret } })), {
        concurrency: "unbounded"
      })
      const pica = yield* client(mock)
      const rows = yield* Stream.runCount(pica.streamConnections({}, { concurrency: 4 }))
      assert.strictEqual(rows, (yield* mock.inventory).filter((row) => row.active).length)
      const log = yield* mock.requests
      const limited = log.filter((entry) => entry.status === 429)
      assert.isAtLeast(limited.length, 1)
      assert.isAtMost(limited.length, 4, "at most the requests already in flight meet the wall")
      assert.isTrue(limited.every((entry) => entry.window === 1))
    }), { timeout: 30_000 })
})
