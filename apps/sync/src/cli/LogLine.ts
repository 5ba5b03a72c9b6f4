import * as Context from "effect/Context"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Logger from "effect/Logger"
import { Stdio } from "./Stdio.js"

/** `2026-12-05T05:47:12.486Z warn text`: how the CLI prints a log line on stderr. */
export const format = ({ date, logLevel, message }: Logger.Logger.Options<unknown>): string => {
  const text = Array.isArray(message) ? message.join(" ") : String(message)
  return `${date.toISOString()} ${logLevel.label.toLowerCase()} ${text}\n`
}

/** Log lines go to stderr (the logging fiber's `Stdio`), so stdout holds only results (a summary line, JSON, the demo's tables). */
export const stderr = Logger.make((options) => {
  Context.get(FiberRefs.getOrDefault(options.context, FiberRef.currentContext), Stdio).stderr.write(format(options))
})
