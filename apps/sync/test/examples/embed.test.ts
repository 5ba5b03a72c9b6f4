import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Console, Effect, Fiber, Layer, Ref, TestClock } from "effect"
import { join } from "node:path"
import { failingByPlatform, MainLive, program } from "../../examples/embed.js"
import { rows, startMock, tempDir } from "../harness.js"

/** A console that keeps every line `log` prints. */
const recordingConsole = (lines: Ref.Ref<ReadonlyArray<string>>) =>
  Effect.map(Effect.console, (console): Console.Console => ({
    ...console,
    log: (...args) => Ref.update(lines, (all) => [...all, args.join(" ")])
  }))

/** Waits, in real time, until `lines` holds `n` lines; the sync talks real HTTP while the TestClock stands still. */
const untilLines = (lines: Ref.Ref<ReadonlyArray<string>>, n: number) =>
  Effect.gen(function*() {
    for (let polls = 0; polls < 20_000; polls++) {
      const all = yield* Ref.get(lines)
      if (all.length >= n) return all
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
    return yield* Effect.dieMessage(`no line ${n} from the example`)
  })

describe("the README's embedding example", () => {
  it.scoped("syncs every 15 minutes on the TestClock and asks the mirror with Drizzle after each run", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 300, seed: 41 })
      const db = `file:${join(yield* tempDir, "embedded.db")}`
      const env = ConfigProvider.fromMap(new Map([["PICA_SECRET_KEY", mock.secret], ["PICA_BASE_URL", mock.url], ["PICASYNC_DB", db]]))
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      const console = yield* recordingConsole(lines)
      const live = yield* Layer.build(MainLive.pipe(Layer.provide(Layer.setConfigProvider(env))))
      const fiber = yield* program.pipe(Effect.provide(live), Effect.withConsole(console), Effect.fork)

      const [first] = yield* untilLines(lines, 1)
      assert.match(first!, /^run 1: \d+ new, 0 updated; failing: /)
      const failing = (yield* mock.inventory).find((row) => row.active && row.state === "operational" && typeof row.platform === "string")!
      yield* mock.update(failing.id, { state: "failed" })

      yield* TestClock.adjust("14 minutes")
      assert.strictEqual((yield* Ref.get(lines)).length, 1, "no run before the 15 minutes are up")
      yield* TestClock.adjust("1 minute")
      const [, second] = yield* untilLines(lines, 2)
      assert.match(second!, /^run 2: 0 new, 1 updated; failing: /)

      const expected = yield* rows<{ platform: string; failing: number }>(
        db,
        `SELECT platform, count(*) AS failing FROM live_connections WHERE state = 'failed' AND active
         GROUP BY platform ORDER BY failing DESC, platform`
      )
      assert.deepStrictEqual(yield* Effect.provide(failingByPlatform, live), expected)
      assert.include(second!, `${failing.platform} ${expected.find((row) => row.platform === failing.platform)!.failing}`)
      yield* Fiber.interrupt(fiber)
    }), { timeout: 60_000 })
})
