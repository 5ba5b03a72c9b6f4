import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { MirrorDatabase } from "../src/db/MirrorDatabase.js"
import * as Report from "../src/Report.js"
import { mirrorLayer, rows, tempDatabase } from "./harness.js"

interface Version {
  readonly source: string
  readonly id: string
  readonly state: string
  readonly validFrom: string
  readonly validTo: string | null
  readonly deletedAt?: string
}

const now = Date.parse("2026-12-05T12:00:00.000Z")

/** Versions opened and closed on the days of the window and before it, at a day's last moment, after now, for no time at all. */
const versions: ReadonlyArray<Version> = [
  { source: "s1", id: "a", state: "failed", validFrom: "2026-11-20T10:00:00.000Z", validTo: null },
  { source: "s1", id: "b", state: "degraded", validFrom: "2026-12-02T08:00:00.000Z", validTo: "2026-12-03T09:00:00.000Z" },
  { source: "s1", id: "b", state: "failed", validFrom: "2026-12-03T09:00:00.000Z", validTo: null },
  { source: "s1", id: "c", state: "operational", validFrom: "2026-12-04T23:59:59.999Z", validTo: null },
  { source: "s1", id: "d", state: "degraded", validFrom: "2026-12-05T13:00:00.000Z", validTo: null },
  { source: "s1", id: "e", state: "failed", validFrom: "2026-12-02T00:00:00.000Z", validTo: "2026-12-02T00:00:00.000Z" },
  { source: "s1", id: "f", state: "failed", validFrom: "2026-12-01T00:00:00.000Z", validTo: null, deletedAt: "2026-12-01T00:00:00.000Z" },
  { source: "s2", id: "g", state: "failed", validFrom: "2026-12-01T05:00:00.000Z", validTo: "2026-12-05T11:00:00.000Z" },
  { source: "s2", id: "h", state: "degraded", validFrom: "2026-12-01T01:00:00.000Z", validTo: "2026-12-05T13:00:00.000Z" },
  { source: "s2", id: "i", state: "degraded", validFrom: "2026-12-04T23:59:59.999Z", validTo: "2026-12-04T23:59:59.999Z" }
]

/** The definition: at the last moment of each day (now, for today), the versions valid then, unless before the history's start. */
const expected = (source: string | null, days: ReadonlyArray<string>, horizon: string) =>
  days.map((day) => {
    const at = new Date(Math.min(Date.parse(`${day}T23:59:59.999Z`), now)).toISOString()
    const valid = versions.filter((v) =>
      (source === null || v.source === source) && v.deletedAt === undefined && v.validFrom <= at && (v.validTo ?? "~") > at
    )
    const count = (state?: string) => (at < horizon ? null : valid.filter((v) => state === undefined || v.state === state).length)
    return { day, live: count(), failed: count("failed"), degraded: count("degraded") }
  })

describe("Report.read's inventory over time", () => {
  it.scopedLive("counts, at the end of each day of the window, the versions valid then, for every source and for one", () =>
    Effect.gen(function*() {
      const url = yield* tempDatabase
      yield* Effect.provide(MirrorDatabase, mirrorLayer(url))
      for (const v of versions) {
        yield* rows(
          url,
          `INSERT INTO connection_versions
            (source, id, state, active, raw, content_hash, first_seen_at, last_seen_at, deleted_at, valid_from, valid_to)
            VALUES (?, ?, ?, 1, '{}', 'h', ?, ?, nullif(?, ''), ?, nullif(?, ''))`,
          [v.source, v.id, v.state, v.validFrom, v.validFrom, v.deletedAt ?? "", v.validFrom, v.validTo ?? ""]
        )
      }
      yield* rows(
        url,
        "INSERT INTO history_horizons (source, since, reason) VALUES (?, ?, 'test'), (?, ?, 'test')",
        ["s1", "2026-11-01T00:00:00.000Z", "s2", "2026-12-02T00:00:00.000Z"]
      )
      const read = (source?: string) => Effect.provide(Report.read({ now, days: 4, source }), MirrorDatabase.layer({ url }))
      const all = yield* read()
      const days = all.inventoryOverTime.map((row) => row.day)
      assert.deepStrictEqual(days, ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05"])
      assert.deepStrictEqual(all.inventoryOverTime, expected(null, days, "2026-12-02T00:00:00.000Z"))
      assert.deepStrictEqual((yield* read("s2")).inventoryOverTime, expected("s2", days, "2026-12-02T00:00:00.000Z"))
      assert.deepStrictEqual((yield* read("s1")).inventoryOverTime, expected("s1", days, "2026-11-01T00:00:00.000Z"))
    }), { timeout: 30_000 })
})
