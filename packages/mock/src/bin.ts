#!/usr/bin/env node
import * as ValidationError from "@effect/cli/ValidationError"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Option } from "effect"
import * as Cli from "./Cli.js"
import * as MockPica from "./MockPica.js"

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
      Effect.zipRight(
        Console.error(`picasync-mock: ${defect instanceof Error ? defect.message : String(defect)}`),
        Effect.fail("startFailed" as const)
      )
    )
  )

/** 0 when stopped by a signal, 2 on a malformed flag (the CLI library has printed it), 1 when the server could not start. */
const exitCode = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return 0
  return Option.exists(Cause.failureOption(exit.cause), ValidationError.isValidationError) ? 2 : 1
}

Cli.run(serve)(process.argv).pipe(
  Effect.tapError((error) =>
    ValidationError.isValidationError(error) ? Console.error("Run with --help to see every option.") : Effect.void
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, teardown: (exit, onExit) => onExit(exitCode(exit)) })
)
