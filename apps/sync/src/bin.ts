import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import { exitCode, main } from "./cli/main.js"
import * as Telemetry from "./cli/Telemetry.js"

/** Log lines go to stderr, so stdout holds only results (a summary line, JSON, the demo's tables). */
const stderrLogger = Logger.make(({ date, logLevel, message }) => {
  const text = Array.isArray(message) ? message.join(" ") : String(message)
  process.stderr.write(`${date.toISOString()} ${logLevel.label.toLowerCase()} ${text}\n`)
})

main(process.argv).pipe(
  Effect.provide(Telemetry.layer(process.argv)),
  Effect.provide(NodeContext.layer),
  Effect.provide(Logger.replace(Logger.defaultLogger, stderrLogger)),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => onExit(exitCode(exit))
  })
)
