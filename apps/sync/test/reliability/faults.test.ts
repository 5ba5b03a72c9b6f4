import { assert, describe, it } from "@effect/vitest"
import { PicaError } from "@picasync/client"
import { type Faults, MockPica } from "@picasync/mock"
import { Duration, Effect, Either, Schema } from "effect"
import { count, mirrored, stagingTables, mirrorSnapshot, rows, startMock, sync, tempDatabase, truth } from "../harness.js"
import { baseSeed, figures, random, rowsDiffering, scaled } from "./Figures.js"

const tally = figures("faults")

interface Mix {
  readonly name: string
  readonly faults: Faults.Faults
  /** Per-attempt timeout, for the mixes with answers slower than it. */
  readonly requestTimeout?: Duration.DurationInput
}

/** A 200 answer the client cannot read, after `served` normal answers. */
const unreadableAfter = (served: number, body: string): Faults.Faults => ({
  script: [...Array.from({ length: served }, () => ({})), { body }]
})

const mixes: ReadonlyArray<Mix> = [
  { name: "503 on 50% of requests", faults: { errors: { rate: 0.5, statuses: [503] } } },
  { name: "502 on 50% of requests", faults: { errors: { rate: 0.5, statuses: [502] } } },
  { name: "504 on 50% of requests", faults: { errors: { rate: 0.5, statuses: [504] } } },
  { name: "500/502/503/504 on every 3rd request", faults: { errors: { every: 3 } } },
  { name: "429 bursts with Retry-After", faults: { rateLimit: { capacity: 3, refillPerSecond: 40 } } },
  { name: "429 bursts without Retry-After", faults: { rateLimit: { capacity: 3, refillPerSecond: 40, retryAfter: false } } },
  { name: "sockets cut mid-body on 30%", faults: { cut: { rate: 0.3 } } },
  { name: "HTML bodies on 30%", faults: { html: { rate: 0.3 } } },
  { name: "answers slower than the per-attempt timeout on ~50%", faults: { latency: { min: 0, max: 240 } }, requestTimeout: 120 },
  { name: "short pages (a row missing, total unchanged) on 30%", faults: { truncate: { rate: 0.3 } } },
  { name: "drift mid-scan (inserts, deletes, updates)", faults: { drift: { afterPage: 2, insert: 3, delete: 2, update: 2 } } },
  { name: "a 200 whose body is not JSON, mid-scan", faults: unreadableAfter(6, "<html>upstream sent garbage</html>") },
  { name: "a 200 whose JSON has the wrong shape, mid-scan", faults: unreadableAfter(6, JSON.stringify({ rows: [{ id: 1 }], total: "many" })) },
  {
    name: "all together (5xx 15%, 429 bursts, cuts 10%, HTML 10%, short pages 20%, slow answers)",
    faults: {
      errors: { rate: 0.15 },
      rateLimit: { capacity: 6, refillPerSecond: 60 },
      cut: { rate: 0.1 },
      html: { rate: 0.1 },
      truncate: { rate: 0.2 },
      latency: { min: 0, max: 150 }
    },
    requestTimeout: 120
  }
]

/** A tight retry budget makes failures likely, a generous one successes: both outcomes must keep the promise. */
const budgets: ReadonlyArray<{ readonly name: string; readonly maxRetries: number }> = [
  { name: "1 retry", maxRetries: 1 },
  { name: "8 retries", maxRetries: 8 }
]

const typedFailures = new Set(["PicaServerError", "PicaTransportError", "PicaRateLimitError", "PicaDecodeError"])

/** Changes the inventory between two syncs, so the faulty one has inserts, updates, deletions and a deactivation to apply. */
const changeInventory = (mock: MockPica.MockPicaServer, seed: number) =>
  Effect.gen(function*() {
    const pick = random(seed)
    const inventory = [...yield* mock.inventory]
    const take = () => inventory.splice(pick.int(inventory.length), 1)[0]!
    for (let i = 0; i < 4; i++) yield* mock.insert({})
    for (let i = 0; i < 4; i++) yield* Effect.orDie(mock.update(take().id, { tags: [`retagged-${seed}-${i}`], state: "failed" }))
    for (let i = 0; i < 3; i++) yield* Effect.orDie(mock.remove(take().id))
    yield* Effect.orDie(mock.deactivate(take().id))
  })

const scenarios = scaled([0], [0, 1, 2]).flatMap((round) =>
  mixes.flatMap((mix, m) =>
    scaled<ReadonlyArray<(typeof budgets)[number]>>([budgets[(m + round) % 2]!], budgets).map((budget) => ({ mix, budget, seed: baseSeed + round * 1000 + m }))
  )
)

describe("faults: the sync mirrors the inventory exactly, or fails with a typed error and leaves the mirror untouched", () => {
  for (const { budget, mix, seed } of scenarios) {
    it.scopedLive(`${mix.name}, ${budget.name} (seed ${seed})`, () =>
      Effect.gen(function*() {
        const mock = yield* startMock({ count: scaled(400, 900), seed })
        const url = yield* tempDatabase
        const setup = { mock, url, pageSize: 40, maxRetries: budget.maxRetries }
        yield* sync(setup)
        yield* changeInventory(mock, seed)
        const before = yield* mirrorSnapshot(url)
        const liveBefore = yield* mirrored(url)

        yield* mock.clearRequests
        yield* mock.setFaults(mix.faults)
        // A short per-attempt timeout only for the faulty sync: the syncs around it must not depend on the machine's load.
        const outcome = yield* Effect.either(sync({ ...setup, ...(mix.requestTimeout ? { requestTimeout: mix.requestTimeout } : {}) }))
        yield* mock.clearFaults
        const injected = (yield* mock.requests).filter((request) => request.fault !== undefined).length
        tally.faults += injected

        const [run] = yield* rows<{ status: string; error: string | null }>(url, "SELECT status, error FROM sync_runs ORDER BY id DESC LIMIT 1")
        if (Either.isRight(outcome)) {
          const lost = rowsDiffering(yield* truth(mock), yield* mirrored(url))
          tally.rowsLost += lost
          assert.strictEqual(lost, 0, "a successful sync mirrors the inventory exactly")
          assert.strictEqual(run!.status, "succeeded")
        } else {
          const error = outcome.left
          assert.isTrue(typedFailures.has(error._tag) && Schema.is(PicaError)(error), `a typed API error, not ${error._tag}`)
          assert.notInclude(error.message, "\n")
          const lost = rowsDiffering(liveBefore, yield* mirrored(url))
          tally.rowsLost += lost
          assert.strictEqual(lost, 0, "a failed sync leaves every row as it was")
          assert.deepStrictEqual(yield* mirrorSnapshot(url), before, "a failed sync leaves the three mirror tables as they were")
          assert.deepStrictEqual(run, { status: "failed", error: error.message })
        }
        assert.deepStrictEqual(yield* stagingTables(url), [])
        assert.strictEqual(yield* count(url, "SELECT 1 FROM sync_locks"), 0)

        // Once the API behaves, the next sync converges whatever the faulty one did.
        yield* sync(setup)
        const lost = rowsDiffering(yield* truth(mock), yield* mirrored(url))
        tally.rowsLost += lost
        assert.strictEqual(lost, 0)
        tally.scenarios++
      }))
  }
})
