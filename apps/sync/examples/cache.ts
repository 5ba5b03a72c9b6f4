import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { PicaClient } from "@picasync/client"
import { MirrorDatabase, MirrorMigrations, MirrorPicaClient, PicaSync } from "@picasync/sync"
import { Console, Effect, Layer, Stream } from "effect"

/** The application's connection list, as it always asked the API: now answered by the mirror, at most 5 minutes old. */
export const connectionList = (page: number) =>
  Effect.flatMap(PicaClient, (pica) => pica.listConnections({ limit: 50, page }))

// Reacts in-process to each change once its sync committed: here, an alert for every connection that starts failing.
export const alerts = Effect.flatMap(PicaSync, (sync) =>
  sync.changes().pipe(
    Stream.filter((change) => change.kind === "updated" && change.state === "failed" && change.changed_fields?.state !== undefined),
    Stream.runForEach((change) => Console.log(`alert: ${change.platform} connection ${change.connection_id} is failing`))
  ))

// PICA_SECRET_KEY, PICA_BASE_URL, PICASYNC_DB and PICASYNC_DB_AUTH_TOKEN come from the environment.
const MirrorLive = MirrorMigrations.layer({ folder: MirrorMigrations.packagedFolder }).pipe(
  Layer.provideMerge(MirrorDatabase.layerConfig())
)
const PicaClientLive = PicaClient.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))
// Every kind of change is queued as an event, so `changes` sees them all.
const PicaSyncLive = PicaSync.layerConfig({ notify: ["inserted", "updated", "deleted", "restored"] }).pipe(
  Layer.provideMerge(MirrorLive),
  Layer.provideMerge(PicaClientLive)
)
export const CacheLive = MirrorPicaClient.layerReadThrough({ maxAge: "5 minutes", serveStale: true }).pipe(
  Layer.provideMerge(PicaSyncLive)
)

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.gen(function*() {
    yield* Effect.fork(alerts)
    const page = yield* connectionList(1)
    yield* Console.log(`${page.total} active connections; the first: ${page.rows.map((row) => row.name ?? row.key).slice(0, 3).join(", ")}`)
    yield* Effect.never
  }).pipe(Effect.provide(CacheLive), NodeRuntime.runMain)
}
