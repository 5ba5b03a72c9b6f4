import { migrate } from "drizzle-orm/libsql/migrator"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"
import { DatabaseError } from "./DatabaseError.js"
import type { Service } from "./MirrorDatabase.js"
import { sql } from "drizzle-orm"

export { packagedMigrationsFolder as packagedFolder } from "../MigrationsFolder.js"

/** The database has none of the mirror's tables: nothing was ever synced into it. */
export class MirrorMissing extends Schema.TaggedError<MirrorMissing>()("MirrorMissing", {
  at: Schema.String
}) {
  override get message() {
    return `no mirror at ${this.at}: the database holds none of the mirror's tables`
  }
}

/** The mirror's schema is older than this code: a writer with a read-write token must migrate it first. */
export class MirrorOutdated extends Schema.TaggedError<MirrorOutdated>()("MirrorOutdated", {
  at: Schema.String,
  needs: Schema.String
}) {
  override get message() {
    return `the mirror at ${this.at} is older than this picasync: it needs migration ${this.needs}; a sync with a read-write token applies it`
  }
}

interface JournalEntry {
  readonly tag: string
  /** Drizzle records it as the migration's `created_at` once applied. */
  readonly when: number
}

const journal = (folder: string) =>
  Effect.try({
    try: () =>
      (JSON.parse(fs.readFileSync(path.join(folder, "meta", "_journal.json"), "utf8")) as { entries: Array<JournalEntry> }).entries,
    catch: (error) => new DatabaseError({ operation: "migration", reason: `cannot read the migrations in ${folder}: ${String(error)}` })
  })

/**
 * The migrations in `folder`, and those the database lacks, read without writing: all of them when
 * the database has never been migrated.
 */
const pending = Effect.fn("MirrorMigrations.pending")(function*(db: Service, folder: string) {
  const entries = yield* journal(folder)
  const tables = yield* db.execute(
    "schema check",
    sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'`
  )
  if (tables.length === 0) return { entries, lacking: entries }
  const [last] = yield* db.execute<{ created: number | null }>("schema check", sql`SELECT max(created_at) AS created FROM __drizzle_migrations`)
  return { entries, lacking: entries.filter((entry) => entry.when > Number(last?.created ?? 0)) }
})

/**
 * Brings the mirror's schema up to date from the Drizzle migrations in `folder`, writing nothing when
 * it is current (on a libSQL server, even a no-op `CREATE … IF NOT EXISTS` would wait for the write lock).
 */
export const run = Effect.fn("MirrorMigrations.run")(function*(db: Service, folder: string) {
  if ((yield* pending(db, folder)).lacking.length === 0) return
  // Two processes opening a fresh database race to migrate; the loser's retry finds the work done.
  yield* db.query("migration", (orm) => migrate(orm, { migrationsFolder: folder })).pipe(Effect.retry({ times: 1 }))
})

/**
 * Fails unless the mirror's schema is exactly current, reading only: what a command that only reads
 * needs, since a read-only token could not migrate.
 */
export const check = Effect.fn("MirrorMigrations.check")(function*(db: Service, folder: string) {
  const { entries, lacking } = yield* pending(db, folder)
  const [first] = lacking
  if (lacking.length === entries.length) return yield* new MirrorMissing({ at: db.location })
  if (first !== undefined) return yield* new MirrorOutdated({ at: db.location, needs: first.tag })
})
