import { Retry } from "@picasync/client"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import { thousands } from "./Thousands.js"

/** Where a sync reports how far it is: a bar on a terminal, log lines elsewhere, nothing in tests. */
export interface Service {
  /** A phase starts that expects about `steps` steps (pages, or ids to check). */
  readonly begin: (label: string, steps: number) => Effect.Effect<void>
  /** One step done, bringing `rows` rows. */
  readonly advance: (rows: number) => Effect.Effect<void>
  /** The phase is over. */
  readonly end: Effect.Effect<void>
}

export class Progress extends Context.Tag("@picasync/sync/Progress")<Progress, Service>() {}

interface Phase {
  readonly label: string
  readonly steps: number
  readonly startedAt: number
  done: number
  rows: number
}

/** `42s`, `3m 05s` */
const seconds = (millis: number) => {
  const total = Math.round(millis / 1000)
  return total < 60 ? `${total}s` : `${Math.floor(total / 60)}m ${String(total % 60).padStart(2, "0")}s`
}

/** `412/1,000 pages · 41,200 rows · 9,310 rows/s · ETA 6s` */
const describe = (phase: Phase, now: number) => {
  const elapsed = Math.max(1, now - phase.startedAt)
  const rate = (phase.rows * 1000) / elapsed
  const left = Math.max(0, phase.steps - phase.done)
  const eta = phase.done === 0 ? "" : ` · ETA ${seconds((elapsed / phase.done) * left)}`
  return `${thousands(phase.done)}/${thousands(phase.steps)} · ${thousands(phase.rows)} rows · ${
    thousands(Math.round(rate))
  } rows/s${eta}`
}

/** Tracks the current phase and renders it as it moves; shared by the bar and the log lines. */
const tracker = (render: {
  readonly begin: (phase: Phase) => Effect.Effect<void>
  readonly advance: (phase: Phase, now: number) => Effect.Effect<void>
  readonly end: (phase: Phase, now: number) => Effect.Effect<void>
}): Service => {
  let phase: Phase | undefined
  return {
    begin: (label, steps) =>
      Effect.suspend(() => {
        phase = { label, steps, startedAt: Date.now(), done: 0, rows: 0 }
        return render.begin(phase)
      }),
    advance: (rows) =>
      Effect.suspend(() => {
        if (phase === undefined) return Effect.void
        phase.done += 1
        phase.rows += rows
        return render.advance(phase, Date.now())
      }),
    end: Effect.suspend(() => {
      const ended = phase
      phase = undefined
      return ended === undefined ? Effect.void : render.end(ended, Date.now())
    })
  }
}

const BAR_WIDTH = 24
const REDRAW_EVERY_MILLIS = 100

/**
 * A bar redrawn in place on `stream` (a terminal), at most ten times a second. It takes over `logs.logger`,
 * which writes to the same stream: each log line, as `logs.format` prints it, goes above the bar; while the
 * client waits out a failed request (a log line annotated `Retry.WAITING`), the bar says so until the next step.
 */
export const bar = (
  stream: NodeJS.WritableStream,
  logs: { readonly logger: Logger.Logger<unknown, unknown>; readonly format: (options: Logger.Logger.Options<unknown>) => string }
): Layer.Layer<Progress> =>
  Layer.unwrapEffect(Effect.sync(() => {
    let drawnAt = 0
    let shown: Phase | undefined
    let waiting: string | undefined
    const line = (phase: Phase, now: number) => {
      const filled = phase.steps === 0 ? BAR_WIDTH : Math.min(BAR_WIDTH, Math.round((phase.done / phase.steps) * BAR_WIDTH))
      const note = waiting === undefined ? "" : ` · waiting for the API: ${waiting}`
      return `\r\x1b[K${phase.label} [${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${describe(phase, now)}${note}`
    }
    const draw = (phase: Phase, now: number, end = "") =>
      Effect.sync(() => {
        stream.write(`${line(phase, now)}${end}`)
        drawnAt = now
        shown = end === "" ? phase : undefined
      })
    const progress = tracker({
      begin: (phase) => draw(phase, phase.startedAt),
      advance: (phase, now) => {
        if (waiting !== undefined) {
          waiting = undefined
          return draw(phase, now)
        }
        return now - drawnAt >= REDRAW_EVERY_MILLIS ? draw(phase, now) : Effect.void
      },
      end: (phase, now) => draw(phase, now, "\n")
    })
    const logger = Logger.make((options): void => {
      const retrying = HashMap.get(options.annotations, Retry.WAITING)
      if (Option.isSome(retrying)) waiting = String(retrying.value)
      stream.write(shown === undefined ? logs.format(options) : `\r\x1b[K${logs.format(options)}${line(shown, Date.now())}`)
    })
    return Layer.merge(Layer.succeed(Progress, progress), Logger.replace(logs.logger, logger))
  }))

/** A log line when a phase starts, at every tenth of it, and when it ends. */
export const logLines: Layer.Layer<Progress> = Layer.sync(Progress, () => {
  let tenth = 0
  return tracker({
    begin: (phase) => {
      tenth = 0
      return Effect.logInfo(`${phase.label}: about ${thousands(phase.steps)} to go`)
    },
    advance: (phase, now) => {
      const reached = phase.steps === 0 ? 10 : Math.floor((phase.done / phase.steps) * 10)
      if (reached <= tenth || reached >= 10) return Effect.void
      tenth = reached
      return Effect.logInfo(`${phase.label}: ${describe(phase, now)}`)
    },
    end: (phase, now) => Effect.logInfo(`${phase.label} done: ${describe(phase, now)}`)
  })
})

const nothing: Service = { begin: () => Effect.void, advance: () => Effect.void, end: Effect.void }

/** Reports nothing. */
export const silent: Layer.Layer<Progress> = Layer.succeed(Progress, nothing)

/** The `Progress` in the context, or one that reports nothing: a sync needs none. */
export const current: Effect.Effect<Service> = Effect.map(Effect.serviceOption(Progress), Option.getOrElse(() => nothing))
