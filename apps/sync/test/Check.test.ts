import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Check from "../src/Check.js"
import { MirrorDatabase } from "../src/db/MirrorDatabase.js"
import { mirrorLayer, rows, sync, synced, tempDatabase } from "./harness.js"
import { acme, fixtureMirror, quoted, unicode } from "./query/fixture.js"

const hour = 3_600_000
const day = 24 * hour

const readable = (url: string) => MirrorDatabase.layer({ url, mustExist: true })

const builtIn = (url: string, options: Partial<Check.CheckOptions> & { readonly now: number }) =>
  Effect.provide(
    Check.builtIn({ maxAgeMillis: day, maxFailing: 0, failingForMillis: 7 * day, ...options }),
    readable(url)
  )

const byName = (results: ReadonlyArray<Check.CheckResult>, name: string) => {
  const found = results.find((result) => result.name === name)
  assert.isDefined(found, name)
  return found!
}

/** One hour after the newest run of the mirror finished. */
const anHourLater = (url: string) =>
  Effect.map(
    rows<{ at: string }>(url, "SELECT max(coalesce(finished_at, started_at)) AS at FROM sync_runs"),
    ([row]) => Date.parse(row!.at) + hour
  )

describe("Check", () => {
  it.scopedLive("four checks a source: recent success, last run, failed connections, unhealthy for too long", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const now = yield* anHourLater(url)
      const strict = yield* builtIn(url, { now })
      assert.deepStrictEqual(strict.map((r) => [r.name, r.source, r.ok]), [
        ["last-success-age", "test", true],
        ["last-run", "test", true],
        ["max-failing", "test", false],
        ["failing-for", "test", true]
      ])
      assert.match(byName(strict, "last-success-age").detail, /^last success 60 min ago, run 2 at .+ \(max 24 h\)$/)
      assert.strictEqual(byName(strict, "last-run").detail, "run 2 succeeded 60 min ago")
      // Acme (failed on the second sync) and the quoted one are active and failed; the degraded one is inactive.
      assert.strictEqual(byName(strict, "max-failing").detail, "2 active connections in state failed (at most 0 allowed)")
      assert.strictEqual(
        byName(strict, "failing-for").detail,
        "no connection unhealthy for more than 7 d (3 unhealthy connections now)"
      )
      const lenient = yield* builtIn(url, { now, maxFailing: 2 })
      assert.isTrue(lenient.every((r) => r.ok))

      // Thirty minutes: all three unhealthy connections offend, the oldest first.
      const short = byName(yield* builtIn(url, { now, failingForMillis: 30 * 60_000 }), "failing-for")
      assert.isFalse(short.ok)
      assert.match(short.detail, /^3 connections unhealthy for more than 30 min: /)
      for (const id of [acme, quoted, unicode]) assert.include(short.detail, id!)
      assert.include(short.detail, `${acme} (stripe, failed for 60 min)`)
    }), { timeout: 60_000 })

  it.scopedLive("failing-for counts from state_since: the last change of state", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const now = yield* anHourLater(url)
      // The quoted connection has been failed since it was first seen; pretend that was ten days ago.
      yield* rows(url, "UPDATE connection_changes SET observed_at = ? WHERE connection_id = ?", [
        new Date(now - 10 * day).toISOString(),
        quoted!
      ])
      const check = byName(yield* builtIn(url, { now }), "failing-for")
      assert.isFalse(check.ok)
      assert.strictEqual(check.detail, `1 connection unhealthy for more than 7 d: ${quoted} (stripe, failed for 10 d)`)
    }), { timeout: 60_000 })

  it.scopedLive("a stale mirror, a failed last run, an unknown source and an empty mirror fail", () =>
    Effect.gen(function*() {
      const { mock, url } = yield* fixtureMirror
      const now = yield* anHourLater(url)
      const stale = byName(yield* builtIn(url, { now: now + 30 * hour }), "last-success-age")
      assert.isFalse(stale.ok)
      assert.match(stale.detail, /^last success 31 h ago/)

      yield* Effect.flip(sync({ mock, url, secret: "sk_test_revoked" }))
      const failed = byName(yield* builtIn(url, { now }), "last-run")
      assert.isFalse(failed.ok)
      assert.match(failed.detail, /^run 3 failed .* ago: /)

      const other = yield* builtIn(url, { now, source: "live" })
      assert.deepStrictEqual(other.map((r) => [r.name, r.source, r.ok, r.detail]), [
        ["last-success-age", "live", false, "never synced successfully (max 24 h)"],
        ["last-run", "live", true, "no run recorded"],
        ["max-failing", "live", true, "0 active connections in state failed (at most 0 allowed)"],
        ["failing-for", "live", true, "no connection unhealthy for more than 7 d (0 unhealthy connections now)"]
      ])

      const empty = yield* tempDatabase
      yield* Effect.provide(Effect.void, mirrorLayer(empty))
      assert.deepStrictEqual(yield* builtIn(empty, { now }), [
        { name: "last-success-age", ok: false, detail: "the mirror holds no source: nothing has synced into it" }
      ])
    }), { timeout: 60_000 })

  it.scopedLive("failing-for names five offenders and counts the rest", () =>
    Effect.gen(function*() {
      const { url } = yield* synced(120, 7)
      const [unhealthy] = yield* rows<{ n: number }>(url, "SELECT count(*) AS n FROM unhealthy_connections")
      const n = Number(unhealthy!.n)
      assert.isAbove(n, 5)
      const check = byName(yield* builtIn(url, { now: (yield* anHourLater(url)), failingForMillis: 60_000 }), "failing-for")
      assert.isFalse(check.ok)
      assert.match(check.detail, new RegExp(`^${n} connections unhealthy for more than 1 min: `))
      assert.strictEqual(check.detail.match(/ \(\w+, \w+ for \d+ \w+\)/g)?.length, 5)
      assert.isTrue(check.detail.endsWith(`, and ${n - 5} more`))
    }), { timeout: 60_000 })

  it.scopedLive("an assertion fails on rows, passes on none, and fails with the reason on bad or writing SQL", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const assertion = (sql: string) => Effect.provide(Check.assertion("mine", sql), readable(url))
      const failing = yield* assertion(
        "SELECT id, name FROM live_connections WHERE state = 'failed' AND active ORDER BY id"
      )
      assert.isFalse(failing.ok)
      assert.strictEqual(
        failing.detail,
        `2 rows: {"id":"${acme}","name":"Acme, Inc."} {"id":"${quoted}","name":"She said \\"hi\\"\\nthen left"}`
      )
      assert.deepStrictEqual(yield* assertion("SELECT id FROM live_connections WHERE platform = 'nope'"), {
        name: "mine",
        ok: true,
        detail: "no rows"
      })
      const many = yield* assertion("SELECT value FROM json_each('[1,2,3,4,5]')")
      assert.strictEqual(many.detail, "5 rows: {\"value\":1} {\"value\":2} {\"value\":3} …")
      const bad = yield* assertion("SELECT nope FROM connections")
      assert.deepStrictEqual([bad.ok, bad.detail], [false, "SQL error: no such column: nope"])
      const writing = yield* assertion("DELETE FROM connections")
      assert.isFalse(writing.ok)
      assert.include(writing.detail, "DELETE")
      assert.deepStrictEqual(yield* rows(url, "SELECT count(*) AS n FROM connections"), [{ n: 6 }])
    }), { timeout: 60_000 })

  it.effect("verdict fails with how many checks failed", () =>
    Effect.gen(function*() {
      yield* Check.verdict([{ name: "a", ok: true, detail: "" }])
      const error = yield* Effect.flip(Check.verdict([{ name: "a", ok: true, detail: "" }, { name: "b", ok: false, detail: "" }]))
      assert.strictEqual(error.message, "1 of 2 checks failed")
    }))
})
