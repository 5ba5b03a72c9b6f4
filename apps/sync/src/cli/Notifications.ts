import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type ChangeKind, changeKinds } from "../db/schema.js"
import * as Notify from "../Notify.js"
import { described } from "./Flags.js"
import { UsageError } from "./UsageError.js"

/** `--notify-url` and `--notify-kinds`, for `sync` and `notify`; the signing secret comes from the environment only. */
export const notifyFlags = {
  notifyUrl: Options.text("notify-url").pipe(
    Options.withFallbackConfig(Config.string("PICASYNC_NOTIFY_URL")),
    Options.optional,
    described(
      "URL",
      "After each run commits, POST its changes as JSON ({\"events\": […]}) to this URL; " +
        "with PICASYNC_NOTIFY_SECRET set, each request carries x-picasync-signature: sha256=<HMAC-SHA256 of the body>",
      { env: "PICASYNC_NOTIFY_URL" }
    )
  ),
  notifyKinds: Options.text("notify-kinds").pipe(
    Options.withDefault(changeKinds.join(",")),
    Options.withFallbackConfig(Config.string("PICASYNC_NOTIFY_KINDS")),
    described("kinds", "The kinds of change to notify, comma-separated: inserted, updated, deleted, restored", {
      default: changeKinds.join(","),
      env: "PICASYNC_NOTIFY_KINDS"
    })
  )
}

interface ParsedNotifyFlags {
  readonly notifyUrl: Option.Option<string>
  readonly notifyKinds: string
}

export interface NotifySettings {
  readonly target: Notify.Target
  readonly kinds: ReadonlyArray<ChangeKind>
}

const usage = (message: string) => new UsageError({ message })

/** The notification settings the flags name, or none without `--notify-url`; a bad value is a usage error naming its flag. */
export const notifySettings = (parsed: ParsedNotifyFlags) =>
  Effect.gen(function*() {
    if (Option.isNone(parsed.notifyUrl)) return Option.none<NotifySettings>()
    const url = parsed.notifyUrl.value
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      return yield* usage("--notify-url (or PICASYNC_NOTIFY_URL) must be an absolute http(s) URL")
    }
    const kinds = parsed.notifyKinds.split(",").map((kind) => kind.trim()).filter((kind) => kind !== "")
    const unknown = kinds.find((kind) => !(changeKinds as ReadonlyArray<string>).includes(kind))
    if (unknown !== undefined || kinds.length === 0) {
      return yield* usage(`--notify-kinds takes some of ${changeKinds.join(", ")}, comma-separated; got "${parsed.notifyKinds}"`)
    }
    const secret = yield* Config.option(Config.redacted("PICASYNC_NOTIFY_SECRET")).pipe(
      Effect.mapError(() => usage("PICASYNC_NOTIFY_SECRET cannot be read"))
    )
    return Option.some<NotifySettings>({
      target: { url, ...(Option.isSome(secret) ? { secret: secret.value } : {}) },
      kinds: kinds as ReadonlyArray<ChangeKind>
    })
  })

/** Delivers what is queued, saying how many went. */
export const deliverQueued = (settings: NotifySettings) =>
  Effect.flatMap(Notify.deliver(settings.target), ({ delivered }) =>
    delivered === 0 ? Effect.void : Effect.logInfo(`${delivered} change notifications delivered`))
