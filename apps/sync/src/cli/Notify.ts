import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { changeKinds } from "../db/schema.js"
import { databaseFlags, databaseOptions } from "./Flags.js"
import { proxiedHttpClient } from "./HttpProxy.js"
import * as Mirror from "./Mirror.js"
import { deliverQueued, notifyFlags, notifySettings } from "./Notifications.js"
import { UsageError } from "./UsageError.js"

export const notifyCommand = Command.make("notify", { ...databaseFlags, notifyUrl: notifyFlags.notifyUrl }, (parsed) =>
  Effect.gen(function*() {
    // The kinds were chosen when the events were queued: every queued one goes.
    const settings = yield* notifySettings({ ...parsed, notifyKinds: changeKinds.join(",") })
    if (Option.isNone(settings)) {
      return yield* new UsageError({ message: "give --notify-url (or PICASYNC_NOTIFY_URL): where to deliver the queued notifications" })
    }
    const database = yield* databaseOptions(parsed)
    yield* deliverQueued(settings.value).pipe(Effect.provide(Layer.merge(Mirror.writable(database), proxiedHttpClient)))
  })).pipe(
    Command.withDescription(
      "Deliver the change notifications still queued (see the undelivered_notifications view), oldest first; exit 1 if some stay undelivered"
    )
  )
