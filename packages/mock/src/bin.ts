#!/usr/bin/env node
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Either } from "effect"
import * as Cli from "./Cli.js"
import * as MockPica from "./MockPica.js"

const command = Cli.parse(process.argv.slice(2))

const serve = (options: MockPica.MockPicaOptions) =>
  Effect.gen(function*() {
    const server = yield* MockPica.start(options)
    const limiter = yield* server.limiter
    yield* Console.log(
      [
        `Pica mock listening on ${server.url} (${options.count ?? 50} connections, seed ${options.seed ?? 1})`,
        `  export PICA_BASE_URL=${server.url} PICA_SECRET_KEY=${server.secret}`,
        `  secret header: ${server.authHeader}; admin routes under ${server.url}/__admin`,
        // The real service's limit is on by default and bounds how fast a large inventory lists.
        limiter === null
          ? "  rate limiter: off"
          : `  rate limiter: ${limiter.limit} requests per ${limiter.windowMs / 1000} s per secret (--no-limiter turns it off)`,
        "Ctrl-C to stop."
      ].join("\n")
    )
    return yield* Effect.never
  }).pipe(
    Effect.scoped,
    // A busy port or a bad option is a defect of start; say so in one line instead of a stack.
    Effect.catchAllDefect((defect) =>
      Effect.sync(() => {
        console.error(`picasync-mock: ${defect instanceof Error ? defect.message : String(defect)}`)
        process.exit(1)
      })
    )
  )

if (Either.isLeft(command)) {
  console.error(`picasync-mock: ${command.left}\nRun with --help to see every option.`)
  process.exit(2)
} else if (command.right.help) {
  console.log(Cli.usage)
} else {
  NodeRuntime.runMain(serve(command.right.options))
}
