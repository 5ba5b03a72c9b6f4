import * as Layer from "effect/Layer"
import { MirrorDatabase, type MirrorDatabaseOptions } from "../db/MirrorDatabase.js"
import * as MirrorMigrations from "../db/MirrorMigrations.js"

/** The mirror of a command that writes: brought up to date first, from the migrations the package ships. */
export const writable = (options: MirrorDatabaseOptions) => MirrorDatabase.layerMigrated(options)

/**
 * The mirror of a command that only reads: as it is, never created nor migrated (a read-only token
 * could not), and checked to be a current mirror before anything reads it.
 */
export const readable = (options: MirrorDatabaseOptions) =>
  MirrorMigrations.layerCheck({ folder: MirrorMigrations.packagedFolder }).pipe(
    Layer.provideMerge(MirrorDatabase.layer({ ...options, mustExist: true }))
  )
