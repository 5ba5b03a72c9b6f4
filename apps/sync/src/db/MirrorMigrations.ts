import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Migrate from "./Migrate.js"
import { MirrorDatabase } from "./MirrorDatabase.js"

export { MirrorMissing, MirrorOutdated, packagedFolder } from "./Migrate.js"

/**
 * Brings the mirror's schema up to date from the Drizzle migrations in `folder`, writing nothing when
 * it is current (on a libSQL server, even a no-op `CREATE … IF NOT EXISTS` would wait for the write lock).
 */
export const run = (folder: string) => Effect.flatMap(MirrorDatabase, (db) => Migrate.run(db, folder))

/**
 * Fails unless the mirror's schema is exactly current, reading only: what a command that only reads
 * needs, since a read-only token could not migrate.
 */
export const check = (folder: string) => Effect.flatMap(MirrorDatabase, (db) => Migrate.check(db, folder))

/** Migrates the `MirrorDatabase` it is given when built; `MirrorDatabase.layerMigrated` opens and migrates in one. */
export const layer = (options: { readonly folder: string }) => Layer.effectDiscard(run(options.folder))

/** Checks, without writing, that the `MirrorDatabase` it is given holds a current mirror. */
export const layerCheck = (options: { readonly folder: string }) => Layer.effectDiscard(check(options.folder))
