import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit } from "effect"
import { interval, wholeNumber } from "../../src/cli/Flags.js"

const failure = <A, E extends { readonly message: string }>(effect: Effect.Effect<A, E>) =>
  Exit.match(Effect.runSyncExit(effect), {
    onSuccess: (value) => `succeeded with ${String(value)}`,
    onFailure: (cause) => cause._tag === "Fail" ? cause.error.message : String(cause)
  })

describe("Flags", () => {
  it("interval reads 30s, 5m, 1h and 7d; anything else is a usage error naming the flag", () => {
    assert.deepStrictEqual(
      ["30s", "5m", "1h", "7d", " 2h "].map((text) => Duration.toMillis(Effect.runSync(interval("--max-age", text)))),
      [30_000, 300_000, 3_600_000, 604_800_000, 7_200_000]
    )
    for (const text of ["0m", "7 d", "5x", "5", "", "1.5h", "-1h"]) {
      assert.strictEqual(
        failure(interval("--db-timeout (or PICASYNC_DB_TIMEOUT)", text)),
        `--db-timeout (or PICASYNC_DB_TIMEOUT) takes an interval such as 30s, 5m, 1h or 7d; got "${text}"`
      )
    }
  })

  it("wholeNumber reads a whole number within its range; anything else is a usage error naming the flag and the range", () => {
    assert.strictEqual(Effect.runSync(wholeNumber("--days", "30", { min: 1, max: 3650 })), 30)
    assert.strictEqual(Effect.runSync(wholeNumber("--seed", "-7")), -7)
    assert.strictEqual(failure(wholeNumber("--days", "0", { min: 1, max: 3650 })), "--days must be a whole number from 1 to 3650; got 0")
    assert.strictEqual(failure(wholeNumber("--days", "3651", { min: 1, max: 3650 })), "--days must be a whole number from 1 to 3650; got 3651")
    assert.strictEqual(failure(wholeNumber("--max-failing", "-1", { min: 0 })), "--max-failing must be a whole number >= 0; got -1")
    for (const text of ["x", "", "1e3", "0x10", "4 ", "1.5", "NaN"]) {
      assert.strictEqual(failure(wholeNumber("--page-size", text, { min: 1 })), `--page-size must be a whole number >= 1; got "${text}"`)
    }
    assert.strictEqual(failure(wholeNumber("--seed", "x")), "--seed must be a whole number; got \"x\"")
    assert.strictEqual(failure(wholeNumber("--count", "99999999999999999999", { min: 1 })), "--count must be a whole number >= 1; got 100000000000000000000")
  })
})
