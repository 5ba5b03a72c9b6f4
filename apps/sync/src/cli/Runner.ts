import type * as CliApp from "@effect/cli/CliApp"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLine from "./LogLine.js"
import { exitCode } from "./Program.js"
import * as Telemetry from "./Telemetry.js"

/**
 * What a command line needs of the platform: its files, paths and terminal; not `NodeContext`, whose
 * workers and child processes no command uses and every start would load.
 */
const platform: Layer.Layer<CliApp.CliApp.Environment> = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

type Main<E> = (argv: ReadonlyArray<string>) => Effect.Effect<void, E, CliApp.CliApp.Environment>

/** A `Program.program` on the command line `argv`, with what every command is given: the platform, log lines on stderr, traces. */
export const run = <E>(main: Main<E>, argv: ReadonlyArray<string>) =>
  main(argv).pipe(
    Effect.provide(Telemetry.layer(argv)),
    Effect.provide(platform),
    Effect.provide(Logger.replace(Logger.defaultLogger, LogLine.stderr))
  )

/** Runs a `Program.program` on this process's command line, as the bin does: its exit code is the command's. */
export const runMain = <E>(main: Main<E>) =>
  run(main, process.argv).pipe(
    NodeRuntime.runMain({
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (exit, onExit) => onExit(exitCode(exit))
    })
  )
