import { assert, describe, it } from "@effect/vitest"
import type { MockPica } from "@picasync/mock"
import { Chunk, Context, Effect, Fiber, Layer, Stream } from "effect"
import type { ChangeEvent } from "../src/Changes.js"
import { PicaSync } from "../src/PicaSync.js"
import { liveClient } from "./cache/Clients.js"
import { mirrorLayer, rows, sqlClient, startMock, tempDatabase } from "./harness.js"

/** The engine queueing every kind of change, as `--notify-url` would. */
const engine = (mock: MockPica.MockPicaServer, url: string) =>
  Effect.map(
    Layer.build(PicaSync.layer({ source: "test", notify: ["inserted", "updated", "deleted", "restored"] }).pipe(
      Layer.provide(Layer.merge(mirrorLayer(url), liveClient(mock)))
    )),
    Context.get(PicaSync)
  )

const outboxIds = (url: string) =>
  Effect.map(rows<{ id: string }>(url, "SELECT id FROM notification_outbox ORDER BY change_id"), (all) => all.map((row) => row.id))

/** The next `n` events of `stream`, collected in a fiber started now, so it is listening before the run. */
const nextEvents = (stream: Stream.Stream<ChangeEvent, unknown>, n: number) =>
  Effect.map(Effect.fork(Stream.runCollect(Stream.take(stream, n))), (fiber) => Effect.map(Fiber.join(fiber), Chunk.toReadonlyArray))

/** Two of the mock's active connections marked failed. */
const failTwo = (mock: MockPica.MockPicaServer) =>
  Effect.gen(function*() {
    const targets = (yield* mock.inventory).filter((row) => row.active && row.state === "operational").slice(0, 2)
    for (const row of targets) yield* Effect.orDie(mock.update(row.id, { state: "failed" }))
    return targets.map((row) => row.id)
  })

describe("PicaSync.changes", () => {
  it.scopedLive("gets each run's events once it commits, with the outbox's ids, and resumes after any of them", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 30, seed: 12, limiter: null })
      const url = yield* tempDatabase
      const sync = yield* engine(mock, url)
      const firstRun = yield* nextEvents(sync.changes(), 30)
      yield* sync.run()
      const first = yield* firstRun
      assert.deepStrictEqual(first.map((event) => event.id), yield* outboxIds(url))
      assert.isTrue(first.every((event) => event.kind === "inserted" && event.run_id === 1 && event.source === "test"))

      const resumed = yield* nextEvents(sync.changes({ after: first[9]!.id }), 22)
      const failed = yield* failTwo(mock)
      yield* sync.run()
      const rest = yield* resumed
      assert.deepStrictEqual(rest.slice(0, 20), first.slice(10))
      assert.deepStrictEqual(rest.slice(20).map((event) => [event.kind, event.run_id, event.state]), [
        ["updated", 2, "failed"],
        ["updated", 2, "failed"]
      ])
      assert.sameMembers(rest.slice(20).map((event) => event.connection_id), failed)
      assert.include(yield* Effect.flip(Stream.runDrain(sync.changes({ after: "no-such-event" }))), {
        _tag: "ChangeEventUnknownError"
      })
    }))

  it.scopedLive("never sees a run whose apply rolled back", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 20, seed: 13, limiter: null })
      const url = yield* tempDatabase
      const sync = yield* engine(mock, url)
      yield* sync.run()
      const [last] = (yield* outboxIds(url)).slice(-1)
      const afterFirst = yield* nextEvents(sync.changes({ after: last }), 2)

      // The apply fails at its very last statement, after it queued its events: all of it rolls back.
      const client = yield* sqlClient(url)
      yield* Effect.promise(() =>
        client.execute(`CREATE TRIGGER test_fail_apply BEFORE UPDATE OF status ON sync_runs WHEN NEW.status = 'succeeded'
          BEGIN SELECT RAISE(ABORT, 'test: the apply fails'); END`)
      )
      yield* failTwo(mock)
      assert.match((yield* Effect.flip(sync.run())).message, /the apply fails/)
      yield* Effect.promise(() => client.execute("DROP TRIGGER test_fail_apply"))
      const third = yield* sync.run()

      const events = yield* afterFirst
      assert.deepStrictEqual(events.map((event) => [event.kind, event.run_id]), [["updated", third.id], ["updated", third.id]])
      const rolledBack = yield* rows(url, "SELECT id FROM notification_outbox WHERE run_id = 2")
      assert.deepStrictEqual(rolledBack, [])
    }))
})
