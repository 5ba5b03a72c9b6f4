import { Cause, Effect, Exit, Logger, LogLevel, Option, Tracer } from "effect"
import { randomBytes } from "node:crypto"
import { inspect } from "node:util"

/** A tracer that keeps every span whole: name, attributes, events and how it ended. */
export const recordingTracer = (spans: Array<string>) =>
  Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const events: Array<unknown> = []
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: randomBytes(8).toString("hex"),
        traceId: Option.match(parent, { onNone: () => randomBytes(16).toString("hex"), onSome: (p) => p.traceId }),
        parent,
        context,
        get status() {
          return status
        },
        attributes,
        links: [...links],
        sampled: true,
        kind,
        end: (endTime, exit) => {
          status = { _tag: "Ended", startTime, endTime, exit }
          spans.push(inspect({ name, attributes: [...attributes], events, exit: Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "ok" }, { depth: 12 }))
        },
        attribute: (key, value) => void attributes.set(key, value),
        event: (eventName, _time, eventAttributes) => void events.push([eventName, eventAttributes]),
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })

/**
 * Every span and every log line (at any level) of the effects `observed` runs, whole, as text: what a test
 * searches for a secret.
 */
export const observer = () => {
  const spans: Array<string> = []
  const logs: Array<string> = []
  const logger = Logger.make((entry) => logs.push(inspect({ ...entry, cause: Cause.pretty(entry.cause) }, { depth: 12 })))
  const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(
      Effect.withTracer(recordingTracer(spans)),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.All)
    )
  return { spans, logs, observed }
}
