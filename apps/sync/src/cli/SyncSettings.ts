import type * as HttpClient from "@effect/platform/HttpClient"
import { PicaClient } from "@picasync/client"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type { MirrorDatabaseOptions } from "../db/MirrorDatabase.js"
import { PicaSync } from "../PicaSync.js"
import * as Progress from "../Progress.js"
import type * as Sync from "../Sync.js"
import { proxiedHttpClient } from "./HttpProxy.js"
import * as LogLine from "./LogLine.js"
import * as Mirror from "./Mirror.js"
import type { NotifySettings } from "./Notifications.js"
import { Stdio } from "./Stdio.js"
import type { UsageError } from "./UsageError.js"

/** What a sync needs to run, checked before the database is opened. */
export interface SyncSettings {
  readonly secretKey: Redacted.Redacted<string>
  readonly baseUrl: string
  readonly authHeader: string
  readonly database: MirrorDatabaseOptions
  readonly sync: Sync.SyncOptions
  /** How long one request keeps retrying transient failures, and the longest wait between two attempts. */
  readonly retry: { readonly retryFor: Duration.Duration; readonly retryMaxDelay: Duration.Duration }
  /** Where each run's changes are notified, if anywhere. */
  readonly notify?: NotifySettings | undefined
}

/** Attempts are bounded by `--retry-for`; this only keeps the count finite. */
const MAX_RETRIES = 10_000

/** What a scheduled job needs: a 90-second outage of the API ridden out, backing off to 20 s between attempts. */
export const defaultRetry: SyncSettings["retry"] = { retryFor: Duration.minutes(3), retryMaxDelay: Duration.seconds(20) }

/** Without `--retry-max-delay`: a ninth of `--retry-for` (20 s of the default 3m), so a short budget still retries several times. */
export const defaultMaxDelay = (retryFor: Duration.Duration) =>
  Duration.min(defaultRetry.retryMaxDelay, Duration.millis(Math.max(1, Math.floor(Duration.toMillis(retryFor) / 9))))

/**
 * The sync engine over the migrated mirror and the API client, and a progress display, for `settings`;
 * the API is reached through `http` (default: through the proxy the environment names).
 */
export const syncLayer = (
  settings: SyncSettings,
  http: Layer.Layer<HttpClient.HttpClient, UsageError> = proxiedHttpClient
) =>
  Layer.mergeAll(
    PicaSync.layer({ ...settings.sync, notify: settings.notify?.kinds }).pipe(Layer.provideMerge(Mirror.writable(settings.database)), Layer.provide(PicaClient.layer({
      secretKey: settings.secretKey,
      baseUrl: settings.baseUrl,
      authHeader: settings.authHeader,
      pageSize: settings.sync.pageSize,
      maxRetries: MAX_RETRIES,
      retryFor: settings.retry.retryFor,
      retryMaxDelay: settings.retry.retryMaxDelay
    }).pipe(Layer.provide(http)))),
    Layer.unwrapEffect(Effect.map(Stdio, ({ stderr }) =>
      stderr.isTTY === true ? Progress.bar(stderr, { logger: LogLine.stderr, format: LogLine.format }) : Progress.logLines
    ))
  )
