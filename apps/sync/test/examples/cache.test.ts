import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Console, Effect, Layer, Ref } from "effect"
import { join } from "node:path"
import { alerts, CacheLive, connectionList } from "../../examples/cache.js"
import { PicaSync } from "../../src/PicaSync.js"
import { liveClient, serviceOf } from "../cache/Clients.js"
import { startMock, tempDir, waitFor } from "../harness.js"

describe("the README's cache example", () => {
  it.scopedLive("serves the connection list from the mirror, synced on first read, and alerts on a connection that starts failing", () =>
    Effect.gen(function*() {
      // No hidden rows: the API counts them in `total`, and no mirror can hold what is never listed.
      const mock = yield* startMock({ count: 120, seed: 42, hiddenShare: 0, limiter: null })
      const db = `file:${join(yield* tempDir, "cache.db")}`
      const env = ConfigProvider.fromMap(new Map([["PICA_SECRET_KEY", mock.secret], ["PICA_BASE_URL", mock.url], ["PICASYNC_DB", db]]))
      const context = yield* Layer.build(CacheLive.pipe(Layer.provide(Layer.setConfigProvider(env))))
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      const console = Effect.map(Effect.console, (console): Console.Console => ({
        ...console,
        log: (...args) => Ref.update(lines, (all) => [...all, args.join(" ")])
      }))
      yield* alerts.pipe(Effect.provide(context), Effect.withConsole(yield* console), Effect.forkScoped)

      const live = yield* serviceOf(liveClient(mock))
      assert.deepStrictEqual(yield* Effect.provide(connectionList(1), context), yield* live.listConnections({ limit: 50, page: 1 }))
      yield* mock.clearRequests
      assert.deepStrictEqual(yield* Effect.provide(connectionList(2), context), yield* live.listConnections({ limit: 50, page: 2 }))
      assert.deepStrictEqual((yield* mock.requests).length, 1, "only the live client's own request: the cache sent none")

      const failing = (yield* mock.inventory).find((row) => row.active && row.state === "operational")!
      yield* Effect.orDie(mock.update(failing.id, { state: "failed" }))
      yield* Effect.flatMap(Effect.provide(PicaSync, context), (sync) => sync.run())
      yield* waitFor("the alert", Effect.map(Ref.get(lines), (all) => all.length > 0))
      assert.deepStrictEqual(yield* Ref.get(lines), [`alert: ${failing.platform} connection ${failing.id} is failing`])
    }), { timeout: 60_000 })
})
