import { assert, describe, it } from "@effect/vitest"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import { NodeContext } from "@effect/platform-node"
import { Cause, ConfigProvider, Effect, Exit, Option } from "effect"
import fc from "fast-check"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { exitCode, main } from "../../src/cli/Main.js"
import { tempDir } from "../harness.js"
import { baseSeed, figures, scaled } from "./Figures.js"

const tally = figures("hostile input")

/** The failure's words: a usage error's message, or the CLI library's own help text for a value it could not parse. */
const failureText = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.match(exit, {
    onSuccess: () => "",
    onFailure: (cause) =>
      Option.match(Cause.failureOption(cause), {
        onNone: () => Cause.pretty(cause),
        onSome: (error) =>
          ValidationError.isValidationError(error) && "error" in error
            ? HelpDoc.toAnsiText(error.error as HelpDoc.HelpDoc)
            : String((error as { readonly message?: unknown }).message ?? error)
      })
  })

const run = (argv: ReadonlyArray<string>, env: Record<string, string>) =>
  main(["node", "picasync", ...argv]).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(NodeContext.layer),
    Effect.exit
  )

const numberFlags = ["--concurrency", "--page-size"] as const
/** Not a whole number >= 1: zero, negatives, fractions, words, empty. */
const badNumber = fc.oneof(
  fc.integer({ max: 0 }).map(String),
  fc.double({ noNaN: true }).filter((n) => !Number.isInteger(n)).map(String),
  fc.constantFrom("", "abc", "1e3", "0x10", "one", "4 ", "NaN", "Infinity")
)
/** A host and path with no scheme, or a scheme that is not http(s). */
const badUrl = fc.oneof(
  fc.webUrl().map((url) => url.replace(/^https?:\/\//, "")),
  fc.webUrl().map((url) => url.replace(/^https?:/, "ftp:")),
  fc.constantFrom("localhost:4010", "127.0.0.1", "//api.picaos.com", "api.picaos.com/v1")
)

describe("malformed flags and variables: exit 2 naming the flag, nothing opened (property-based)", () => {
  it.scopedLive("any malformed --concurrency, --page-size, --base-url / PICA_BASE_URL, --db or --watch", () =>
    Effect.gen(function*() {
      const db = join(yield* tempDir, "never.db")
      const secret = { PICA_SECRET_KEY: "sk_test_flags" }
      const cases = fc.oneof(
        fc.tuple(fc.constantFrom(...numberFlags), badNumber).map(([flag, value]) => ({ argv: [flag, value], env: secret, named: flag })),
        badUrl.map((url) => ({ argv: ["--base-url", url], env: secret, named: "--base-url" })),
        badUrl.map((url) => ({ argv: [], env: { ...secret, PICA_BASE_URL: url }, named: "PICA_BASE_URL" })),
        fc.constantFrom("postgres://x/y", "mysql://db", "s3://bucket/key").map((url) => ({ argv: ["--db", url], env: secret, named: "--db" })),
        fc.constantFrom("", " ").map((value) => ({ argv: [], env: { ...secret, PICASYNC_DB: value }, named: "PICASYNC_DB" })),
        fc.string({ maxLength: 6 }).filter((text) => !/^\d+(ms|s|m|h|d)$/.test(text)).map((value) => ({
          argv: ["--watch", value],
          env: secret,
          named: "--watch"
        }))
      )
      const runs = scaled(60, 600)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(cases, async ({ argv, env, named }) => {
            const database = (argv as ReadonlyArray<string>).includes("--db") || "PICASYNC_DB" in env ? [] : ["--db", db]
            const exit = await Effect.runPromise(run(["sync", ...database, ...argv], env))
            assert.strictEqual(exitCode(exit), 2, `${JSON.stringify({ argv, env })}: ${failureText(exit)}`)
            assert.include(failureText(exit), named, JSON.stringify({ argv, env }))
            tally.faults++
          }),
          { numRuns: runs, seed: baseSeed }
        )
      )
      assert.isFalse(existsSync(db), "no database is created")
      tally.scenarios += runs
    }), 120_000)

  it.scopedLive("the reading commands: a malformed --stale-after, --file or SQL is named; a bad --format lists the choices", () =>
    Effect.gen(function*() {
      const db = join(yield* tempDir, "never.db")
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        // The CLI library's message for a choice lists the choices rather than naming the flag.
        [["query", "select 1", "--db", db, "--format", "xml"], "table, json, ndjson, csv"],
        [["status", "--db", db, "--format", "csv"], "table, json"],
        [["status", "--db", db, "--stale-after", "soon"], "--stale-after"],
        [["status", "--db", db, "--stale-after", "-5m"], "--stale-after"],
        [["query", "--db", db], "SQL"],
        [["query", "select 1", "--db", db, "--file", join(db, "..", "missing.sql")], "--file"]
      ]
      for (const [argv, named] of cases) {
        const exit = yield* run(argv, {})
        assert.strictEqual(exitCode(exit), 2, `${argv.join(" ")}: ${failureText(exit)}`)
        assert.include(failureText(exit), named, argv.join(" "))
        tally.scenarios++
        tally.faults++
      }
      assert.isFalse(existsSync(db), "no database is created")
    }))
})
