import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { PicaClient } from "@picasync/client"
import { MirrorDatabase, PicaSync, schema } from "@picasync/sync"
import { and, count, desc, eq, isNull } from "drizzle-orm"
import { Console, Effect, Either, Layer, Schedule, Stream } from "effect"

const { connections } = schema

/** The failing live connections by platform, asked of the mirror with Drizzle. */
export const failingByPlatform = Effect.flatMap(MirrorDatabase, (db) =>
  db.query("failing by platform", (orm) =>
    orm.select({ platform: connections.platform, failing: count() })
      .from(connections)
      .where(and(eq(connections.state, "failed"), eq(connections.active, true), isNull(connections.deletedAt)))
      .groupBy(connections.platform)
      .orderBy(desc(count()), connections.platform)))

// Syncs now and every 15 minutes; after each run, reports what is failing. A failed run is logged, the next one still runs.
export const program = Effect.flatMap(PicaSync, (sync) =>
  sync.watch(Schedule.spaced("15 minutes")).pipe(
    Stream.runForEach(Either.match({
      onLeft: (error) => Effect.logError(`sync failed: ${error.message}`),
      onRight: (run) =>
        Effect.flatMap(failingByPlatform, (failing) =>
          Console.log(`run ${run.id}: ${run.inserted} new, ${run.updated} updated; failing: ${
            failing.map((row) => `${row.platform} ${row.failing}`).join(", ") || "none"
          }`))
    }))
  ))

// PICA_SECRET_KEY, PICA_BASE_URL, PICASYNC_DB (default file:picasync.db) and PICASYNC_DB_AUTH_TOKEN come from the environment.
const MirrorLive = MirrorDatabase.layerConfigMigrated()
const PicaClientLive = PicaClient.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))
export const MainLive = PicaSync.layerConfig().pipe(Layer.provideMerge(MirrorLive), Layer.provide(PicaClientLive))

if (import.meta.url === `file://${process.argv[1]}`) {
  program.pipe(Effect.provide(MainLive), NodeRuntime.runMain)
}
