import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Report from "../src/Report.js"
import * as Versions from "../src/Versions.js"
import { mirrorLayer, rows, sqlClient, tempDatabase } from "./harness.js"

const DAY = 86_400_000
const start = Date.parse("2026-03-01T00:00:00.000Z")
const states = ["operational", "failed", "degraded"] as const

/** An instant `days` (fractional) after the first day's start. */
const at = (days: number) => new Date(start + days * DAY).toISOString()

/**
 * A mirror whose connections each went through a few versions at random instants over ten days: some start before
 * the report's window, some end as tombstones, some change twice in a day, some change after the report's `now`.
 */
const fill = (url: string, seed: number) =>
  Effect.scoped(Effect.gen(function*() {
    const client = yield* sqlClient(url)
    let state = seed
    const random = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
    const statements: Array<{ sql: string; args: Array<string | number | null> }> = []
    const columns = "source, id, key, platform, state, active, tags, raw, content_hash, first_seen_at, last_seen_at, deleted_at"
    for (let i = 0; i < 60; i++) {
      const id = `c${i}`
      let from = random() * 12 - 2
      const versions = 1 + Math.floor(random() * 4)
      for (let v = 0; v < versions; v++) {
        const last = v === versions - 1
        const to = from + (random() < 0.3 ? random() * 0.2 : random() * 4)
        const deleted = random() < 0.2 ? at(from) : null
        const row = ["test", id, id, "stripe", states[Math.floor(random() * 3)]!, 1, "[]", "{}", `h${v}`, at(0), at(from), deleted]
        statements.push(
          last
            ? { sql: `INSERT INTO connections (${columns}) VALUES (${row.map(() => "?").join(", ")})`, args: row }
            : {
              sql: `INSERT INTO connection_past_versions (${columns}, valid_from, valid_to) VALUES (${row.map(() => "?").join(", ")}, ?, ?)`,
              args: [...row, at(from), at(to)]
            }
        )
        from = to
      }
    }
    statements.push({ sql: "INSERT INTO history_horizons VALUES ('test', ?, 'first sync')", args: [at(-3)] })
    yield* Effect.promise(() => client.batch(statements, "write"))
  }))

describe("Report", () => {
  it.scopedLive("each day's inventory is the live connections as of that day's last moment (now, for today)", () =>
    Effect.gen(function*() {
      const url = yield* tempDatabase
      yield* Layer.build(mirrorLayer(url))
      yield* fill(url, 7)
      const now = Date.parse(at(8.5))
      const report = yield* Report.read({ now, days: 6 }).pipe(Effect.provide(mirrorLayer(url)))
      assert.isAbove(report.inventoryOverTime.length, 5)
      for (const { day, ...counts } of report.inventoryOverTime) {
        const moment = new Date(Math.min(Date.parse(`${day}T23:59:59.999Z`), now)).toISOString()
        const [expected] = yield* rows<{ live: number; failed: number; degraded: number }>(
          url,
          `SELECT count(*) AS live, count(*) FILTER (WHERE state = 'failed') AS failed,
            count(*) FILTER (WHERE state = 'degraded') AS degraded
          FROM (${Versions.connectionsAt(moment)}) WHERE deleted_at IS NULL`
        )
        assert.deepStrictEqual(counts, {
          live: Number(expected!.live),
          failed: Number(expected!.failed),
          degraded: Number(expected!.degraded)
        }, day)
      }
    }), 30_000)
})
