import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { interval, readerFlags, readerOptions, sourceFilterFlag } from "./Flags.js"
import * as Worker from "./mcp/Worker.js"
import { UsageError } from "./UsageError.js"

const options = {
  ...readerFlags,
  source: sourceFilterFlag,
  maxRows: Options.integer("max-rows").pipe(
    Options.withDefault(500),
    Options.withDescription("The most rows a query answers with; the answer says how many there were (default 500)")
  ),
  maxBytes: Options.integer("max-bytes").pipe(
    Options.withDefault(256 * 1024),
    Options.withDescription("The most bytes of rows, as JSON, a query answers with (default 262144, 256 KiB)")
  ),
  timeLimit: Options.text("time-limit").pipe(
    Options.withDefault("10s"),
    Options.withDescription("A tool call still running after this long is stopped, its statement with it (30s, 1m; default 10s)")
  )
}

const positive = (flag: string, value: number) =>
  value > 0 ? Effect.succeed(value) : Effect.fail(new UsageError({ message: `${flag} takes a count above 0; got ${value}` }))

export const mcpCommand = Command.make("mcp", options, (parsed) =>
  Effect.gen(function*() {
    const maxRows = yield* positive("--max-rows", parsed.maxRows)
    const maxBytes = yield* positive("--max-bytes", parsed.maxBytes)
    const timeLimit = yield* interval("--time-limit", parsed.timeLimit)
    const source = Option.getOrUndefined(parsed.source)
    if (source !== undefined && source.trim() === "") return yield* new UsageError({ message: "--source is empty" })
    const database = yield* readerOptions(parsed)
    if (process.env[Worker.ROLE_VARIABLE] === "worker" && process.send !== undefined) {
      return yield* Worker.serve(database, { maxRows, maxBytes, source })
    }
    // Loaded here alone: the SDK and its schemas would otherwise cost every other command's start.
    const Server = yield* Effect.promise(() => import("./mcp/Server.js"))
    yield* Effect.scoped(Server.serve({ version: "0.1.0", timeLimit }))
  })).pipe(
    Command.withDescription(
      "A Model Context Protocol server over stdio for AI agents: tools query, tables, status, check and connection over " +
        "the mirror, read-only (it never writes or migrates; a read-only token is enough, no Pica secret is read)"
    )
  )
