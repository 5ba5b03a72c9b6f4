import * as Array from "effect/Array"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Connection } from "./Connection.js"
import type { ConnectionsPage } from "./ConnectionsPage.js"

/**
 * The API sorts a listing by `createdAt` alone, so rows sharing one come in any order on each request
 * (docs/pica-api.md, "Order and paging"). Where a page boundary falls inside such a group, each page shows its share of
 * the group drawn afresh: a member can show on both pages or on neither. A rescan watches the pages of
 * one listing go by in order and, once a group that spans a boundary is behind it, re-reads the group's
 * pages until every member has shown.
 */
export interface TieRescan<E, R> {
  /** Call with each page of the listing, in order: the members of a group this page closes that only re-reads found. */
  readonly next: (page: ConnectionsPage) => Effect.Effect<ReadonlyArray<Connection>, E, R>
  /** Call after the listing's last page: the same for a group still open. */
  readonly end: Effect.Effect<ReadonlyArray<Connection>, E, R>
}

/** Consecutive rounds that find no new member before a group is given up: the server may order ties the same way each time. */
export const STALLED_ROUNDS = 6

/** Rounds of re-reads one group gets at most. */
export const MAX_ROUNDS = 20

/** Rows with no `createdAt` sort together too. */
const createdAtOf = (row: Connection): string | null => row.createdAt ?? null

/** The rows of a group that spans pages, as seen so far. */
interface Group {
  readonly createdAt: string | null
  /** Consecutive page numbers the group is on. */
  readonly pages: Array.NonEmptyArray<number>
  readonly members: Map<string, Connection>
  /** The group's rows on its pages as first read: how many members it has, unless the listing moved. */
  shown: number
}

const addMembers = (group: Group, rows: ReadonlyArray<Connection>): ReadonlyArray<Connection> => {
  const added: Array<Connection> = []
  for (const row of rows) {
    if (group.members.has(row.id)) continue
    group.members.set(row.id, row)
    added.push(row)
  }
  return added
}

/** The run of rows at the end of a page sharing `createdAt`. */
const trailingRun = (rows: ReadonlyArray<Connection>, createdAt: string | null): ReadonlyArray<Connection> =>
  rows.slice(Option.match(Array.findLastIndex(rows, (row) => createdAtOf(row) !== createdAt), {
    onNone: () => 0,
    onSome: (before) => before + 1
  }))

/**
 * A rescan of one listing; `refetch(page)` reads that page of it again, with the size the scan asked for.
 * Rows the client could not read take no part: their `createdAt` is not known.
 */
export const make = <E, R>(
  refetch: (page: number) => Effect.Effect<ConnectionsPage, E, R>,
  options: { readonly concurrency: number }
): TieRescan<E, R> => {
  let open: Group | undefined

  const membersOn = (group: Group, page: ConnectionsPage) => page.rows.filter((row) => createdAtOf(row) === group.createdAt)

  /** Re-reads the group's pages, all of them each round, until their rows are all known or stop changing. */
  const settle = Effect.fn("TieRescan.settle")(function*(group: Group) {
    const found: Array<Connection> = []
    let shown = group.shown
    let rounds = 0
    let stalled = 0
    while (group.members.size < shown && rounds < MAX_ROUNDS && stalled < STALLED_ROUNDS) {
      rounds++
      const pages = yield* Effect.forEach(group.pages, refetch, { concurrency: options.concurrency })
      const rows = pages.flatMap((page) => membersOn(group, page))
      shown = rows.length
      const added = addMembers(group, rows)
      found.push(...added)
      stalled = added.length === 0 ? stalled + 1 : 0
    }
    const where = `rows created at ${group.createdAt ?? "(none)"} on pages ${group.pages[0]}-${Array.lastNonEmpty(group.pages)}`
    if (group.members.size < shown) {
      yield* Effect.logWarning(
        `${where}: ${group.members.size} of ${shown} seen after ${rounds} re-read(s) of each page; the rest is left to the next sync`
      )
    } else if (rounds > 0) {
      yield* Effect.logDebug(`${where}: all ${shown} seen after ${rounds} re-read(s) of each page, ${found.length} only then`)
    }
    return found
  })

  /** Closes the open group: one on a single page needs nothing more. */
  const close: Effect.Effect<ReadonlyArray<Connection>, E, R> = Effect.suspend(() => {
    const group = open
    open = undefined
    return group === undefined || group.pages.length < 2 ? Effect.succeed([]) : settle(group)
  })

  const next = (page: ConnectionsPage): Effect.Effect<ReadonlyArray<Connection>, E, R> =>
    Effect.suspend(() => {
      const { rows } = page
      if (!Array.isNonEmptyReadonlyArray(rows)) return close
      const last = page.page >= page.pages
      const group = open
      if (group !== undefined && group.createdAt === createdAtOf(rows[0]) && page.page === Array.lastNonEmpty(group.pages) + 1) {
        const members = membersOn(group, page)
        group.pages.push(page.page)
        group.shown += members.length
        addMembers(group, members)
        // All of this page is the group: it may go on to the next one.
        if (members.length === rows.length && !last) return Effect.succeed([])
      }
      return Effect.map(close, (found) => {
        if (!last) open = startGroup(page.page, rows)
        return found
      })
    })

  return { next, end: close }
}

/** A group that may go on to the next page: the rows at the end of page `page` sharing its last `createdAt`. */
const startGroup = (page: number, rows: Array.NonEmptyReadonlyArray<Connection>): Group => {
  const createdAt = createdAtOf(Array.lastNonEmpty(rows))
  const run = trailingRun(rows, createdAt)
  const group: Group = { createdAt, pages: [page], members: new Map(), shown: run.length }
  addMembers(group, run)
  return group
}
