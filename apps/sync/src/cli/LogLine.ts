import * as Logger from "effect/Logger"

/** `2026-12-05T05:47:12.486Z warn text`: how the CLI prints a log line on stderr. */
export const format = ({ date, logLevel, message }: Logger.Logger.Options<unknown>): string => {
  const text = Array.isArray(message) ? message.join(" ") : String(message)
  return `${date.toISOString()} ${logLevel.label.toLowerCase()} ${text}\n`
}

/** Log lines go to stderr, so stdout holds only results (a summary line, JSON, the demo's tables). */
export const stderr = Logger.make((options) => process.stderr.write(format(options)))
