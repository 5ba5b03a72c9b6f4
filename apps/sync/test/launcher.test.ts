import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { testCliDirectory } from "./cliBundle.js"
import { mirrorLayer, spawnCli, tempDir } from "./harness.js"

const refusal = "statements change the database"
const edited = "statements ALTER! the database"

describe("launcher", () => {
  it.scopedLive("a rebuilt bundle of the same length never runs the code cached for the one before", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      // Beside the test's build, one level below the package like dist/, so it finds the package's dependencies.
      const bin = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(`${testCliDirectory}-launcher-`)),
        (made) => Effect.sync(() => rmSync(made, { recursive: true, force: true }))
      )
      cpSync(testCliDirectory, bin, { recursive: true, filter: (source) => !source.includes("code-cache") })
      const env = { PICASYNC_CACHE_DIR: join(dir, "cache"), PICASYNC_DB: join(dir, "mirror.db") }
      yield* Layer.build(mirrorLayer(`file:${env.PICASYNC_DB}`))
      const refused = (expected: string) =>
        Effect.gen(function*() {
          const cli = yield* spawnCli(["query", "SELEC 1"], env, { bin: join(bin, "bin.js") })
          assert.strictEqual(yield* cli.exitCode, 1, cli.stderr())
          assert.include(cli.stderr(), expected)
        })
      yield* refused(refusal)
      yield* refused(refusal)
      const readers = join(bin, "readers.cjs")
      const source = readFileSync(readers, "utf8")
      assert.strictEqual(edited.length, refusal.length)
      writeFileSync(readers, source.replace(refusal, edited))
      yield* refused(edited)
    }), 60_000)
})
