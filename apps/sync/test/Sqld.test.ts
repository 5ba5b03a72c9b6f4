import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startSqld } from "./Sqld.js"

describe("startSqld", () => {
  // sqld misses the first health probe more often than not; the wait before the next must not hang on the TestClock.
  it.scoped("is up under the TestClock, however late it answers its first health probe", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 10; i++) {
        const server = yield* Effect.scoped(Effect.map(startSqld(), (server) => server.url))
        assert.match(server, /^http:\/\/127\.0\.0\.1:\d+$/)
      }
    }), 20_000)
})
