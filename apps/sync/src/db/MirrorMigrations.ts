import { migrate } from "drizzle-orm/libsql/migrator"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { MirrorDatabase } from "./MirrorDatabase.js"

export { packagedMigrationsFolder as packagedFolder } from "../MigrationsFolder.js"

/**
 * Brings the mirror's schema up to date from the Drizzle migrations in `folder`. Only a command that
 * writes needs it: a reader with a read-only token could not run it.
 */
export const run = Effect.fn("MirrorMigrations.run")(function*(folder: string) {
  const db = yield* MirrorDatabase
  // Two processes opening a fresh database race to migrate; the loser's retry finds the work done.
  yield* db.query("migration", (orm) => migrate(orm, { migrationsFolder: folder })).pipe(Effect.retry({ times: 1 }))
})

/** Migrates the `MirrorDatabase` it is given when built: `MirrorMigrations.layer({ folder }).pipe(Layer.provideMerge(MirrorDatabase.layer(…)))`. */
export const layer = (options: { readonly folder: string }) => Layer.effectDiscard(run(options.folder))
