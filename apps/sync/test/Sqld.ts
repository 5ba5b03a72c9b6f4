import { afterAll } from "@effect/vitest"
import { createClient } from "@libsql/client"
import { type Sqld, startSqld } from "@picasync/testing/Sqld"
import { Clock, Duration, Effect, Exit, Scope } from "effect"

export { type Sqld, startSqld }

/** What `emptySqld` shares a server on: a server with namespaces has no database to empty. */
export interface SharedSqldOptions {
  readonly auth?: boolean
}

/** This test file's servers, one per set of options, started on first use (vitest loads this module once per file). */
const servers = new Map<string, { readonly server: Sqld; readonly scope: Scope.CloseableScope }>()
/** Servers a test holds now: a second database in the same test is a server of its own. */
const held = new Set<string>()

afterAll(() =>
  Effect.runPromise(Effect.forEach(servers.values(), ({ scope }) => Scope.close(scope, Exit.void), { discard: true }))
)

const quoted = (name: string) => `"${name.replaceAll("\"", "\"\"")}"`

/**
 * Drops everything in the server's database: views and triggers, then tables (with their indexes and
 * autoincrement counters), and `user_version` back to 0, so migrations run from zero. SQLite keeps
 * `sqlite_sequence` once made (it cannot be dropped), empty. Fails when anything is left.
 */
export const emptyDatabase = (server: Sqld) =>
  Effect.scoped(Effect.gen(function*() {
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => createClient({ url: server.url, ...(server.tokens ? { authToken: server.tokens.rw } : {}) })),
      (client) => Effect.sync(() => client.close())
    )
    const objects = () =>
      Effect.tryPromise(() =>
        client.execute("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
      ).pipe(Effect.map((result) => result.rows.map((row) => ({ type: String(row.type), name: String(row.name) }))))
    const order = ["view", "trigger", "table"]
    // A table takes its indexes with it.
    const drops = (yield* objects())
      .filter(({ type }) => type !== "index")
      .sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type))
      .map(({ name, type }) => `DROP ${type.toUpperCase()} IF EXISTS ${quoted(name)};`)
    // Off for the drops: on, dropping a table whose rows another table's rows reference fails (its implicit DELETE breaks them).
    yield* Effect.tryPromise(() =>
      client.executeMultiple(["PRAGMA foreign_keys = OFF;", ...drops, "PRAGMA user_version = 0;", "PRAGMA foreign_keys = ON;"].join("\n"))
    )
    const left = yield* objects()
    const version = yield* Effect.tryPromise(() => client.execute("PRAGMA user_version"))
    if (left.length > 0 || Number(version.rows[0]?.user_version) !== 0) {
      const names = left.map(({ name }) => name).join(", ")
      return yield* Effect.fail(`sqld at ${server.url} still holds ${names} (user_version ${version.rows[0]?.user_version})`)
    }
  }))

/** The file's server for these options: emptied when a test left one, started afresh when it cannot be emptied in time. */
const shared = (key: string, options: SharedSqldOptions) =>
  Effect.gen(function*() {
    const current = servers.get(key)
    if (current) {
      // A test that failed may have left a write transaction open, which sqld waits on: a new server costs less than the wait.
      const emptied = yield* emptyDatabase(current.server).pipe(
        Effect.timeout(Duration.seconds(2)),
        Effect.withClock(Clock.make()),
        Effect.exit
      )
      if (Exit.isSuccess(emptied)) return current.server
      servers.delete(key)
      yield* Scope.close(current.scope, Exit.void)
    }
    const scope = yield* Scope.make()
    const server = yield* Scope.extend(startSqld(options), scope).pipe(
      Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Scope.close(scope, exit))
    )
    servers.set(key, { server, scope })
    return server
  })

/**
 * A sqld holding a fresh, empty database for the test: the test file's one server for these options,
 * started on first use, emptied for each test and stopped after the file's last. A test that needs a
 * second server at once, or one it may kill or look beneath (its process, data file, namespaces), uses `startSqld`.
 */
export const emptySqld = (options: SharedSqldOptions = {}): Effect.Effect<Sqld, never, Scope.Scope> =>
  Effect.suspend(() => {
    const key = options.auth ? "auth" : "plain"
    if (held.has(key)) return startSqld(options)
    held.add(key)
    return Effect.zipRight(Effect.addFinalizer(() => Effect.sync(() => held.delete(key))), shared(key, options))
  })
