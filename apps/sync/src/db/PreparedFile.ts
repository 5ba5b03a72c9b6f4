import type { InValue } from "@libsql/client"
import Database from "libsql"

/** One statement of a batch and its positional arguments. */
export interface BatchStatement {
  readonly sql: string
  readonly args: ReadonlyArray<InValue>
}

/**
 * A native libSQL connection of its own to a local mirror file, for batches of writes: each distinct
 * statement is prepared once and run again with new arguments, where `@libsql/client` prepares every
 * statement it runs anew (a 500-row INSERT costs more to prepare than to run). A batch runs in one
 * synchronous call, so this connection never holds a lock while the event loop turns.
 */
export interface PreparedFile {
  /** Runs `statements` in one write transaction; throws libSQL's error, with nothing written, when one fails. */
  readonly write: (statements: ReadonlyArray<BatchStatement>) => void
  readonly close: () => void
}

/** Distinct statements kept prepared: a batch's full-size statement, and the odd smaller last ones. */
const KEPT = 8

export const open = (file: string, options: { readonly busyTimeoutMillis: number; readonly pragmas: ReadonlyArray<string> }): PreparedFile => {
  let connection: Database.Database | undefined
  const prepared = new Map<string, Database.Statement>()

  const connect = () => {
    if (connection === undefined) {
      connection = new Database(file, { timeout: options.busyTimeoutMillis })
      for (const pragma of options.pragmas) connection.exec(pragma)
    }
    return connection
  }

  const statement = (db: Database.Database, sql: string) => {
    let found = prepared.get(sql)
    if (found === undefined) {
      if (prepared.size >= KEPT) prepared.clear()
      found = db.prepare(sql)
      prepared.set(sql, found)
    }
    return found
  }

  const close = () => {
    prepared.clear()
    if (connection === undefined) return
    try {
      // libSQL closes a connection only once its statements are collected, which may be much later: the
      // log is checked into the database now, so that late close changes no byte of it.
      if (!connection.inTransaction) connection.exec("PRAGMA wal_checkpoint(TRUNCATE)")
    } catch {
      // A reader in the way: the checkpoint is left to whoever closes last, as SQLite does anyway.
    }
    // Closing rolls back a transaction left open by a failed statement.
    connection.close()
    connection = undefined
  }

  return {
    write: (statements) => {
      const db = connect()
      try {
        db.exec("BEGIN IMMEDIATE")
        for (const { args, sql } of statements) statement(db, sql).run(args as Array<InValue>)
        db.exec("COMMIT")
        // Nothing a batch leaves in the page cache serves the next (staging appends; the apply reads through the
        // other connection), so it is freed rather than held: 65 MiB less peak memory for a run of 1,000,000 rows.
        db.exec("PRAGMA shrink_memory")
      } catch (error) {
        // libSQL leaves a failed statement open, which breaks the next commit: the next batch reconnects.
        close()
        throw error
      }
    },
    close
  }
}
