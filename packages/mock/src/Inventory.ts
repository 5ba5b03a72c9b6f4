import { Either } from "effect"
import * as Ascii from "./Ascii.js"
import {
  check,
  compare,
  type Connection,
  ConnectionExists,
  type ConnectionInput,
  ConnectionNotFound,
  type InvalidConnection
} from "./Connection.js"
import { type ConnectionFilter, matcher } from "./ConnectionFilter.js"
import * as Generator from "./Generator.js"
import * as Page from "./Page.js"
import * as Random from "./Random.js"
import * as Ties from "./Ties.js"

export interface InsertOptions {
  /**
   * Store the input as given, adding only a missing `id`, `createdAt` or `active`;
   * otherwise the missing documented fields are generated.
   */
  readonly verbatim?: boolean
}

/** What a drift fault did to the inventory, by connection id. */
export interface DriftReport {
  readonly inserted: ReadonlyArray<string>
  readonly deleted: ReadonlyArray<string>
  readonly updated: ReadonlyArray<string>
}

/** Where `row` belongs in an API-ordered list (binary search). */
const positionOf = (list: ReadonlyArray<Connection>, row: Connection): number => {
  let low = 0
  let high = list.length
  while (low < high) {
    const middle = (low + high) >>> 1
    const candidate = list[middle]
    // `middle` lies in [low, high), inside the list: `candidate` is always there.
    if (candidate !== undefined && compare(candidate, row) < 0) low = middle + 1
    else high = middle
  }
  return low
}

/**
 * The in-memory store. Active and inactive rows live in two lists kept in API
 * order, so an unfiltered page of either listing is a slice, not a scan. Hidden
 * rows keep their place in those lists (they count in `total` and take their
 * slot on a page) but are left out of every page served.
 */
export class Inventory {
  private readonly byId = new Map<string, Connection>()
  private readonly activeRows: Array<Connection> = []
  private readonly inactiveRows: Array<Connection> = []
  private readonly hiddenIds = new Set<string>()
  private readonly random: Random.Random
  /** Reorders tied rows on each listing; undefined keeps them in `id` order. */
  private readonly tieRandom: Random.Random | undefined
  private clockMicros = Generator.newestGeneratedMicros

  constructor(rows: ReadonlyArray<Connection>, seed: number, shuffleTies = true) {
    // Separate streams from generation, so inserts and listings never disturb the generated rows.
    this.random = Random.make(seed ^ 0x5f3759df)
    this.tieRandom = shuffleTies ? Random.make(seed ^ 0x7135) : undefined
    for (const row of rows) {
      this.byId.set(row.id, row)
      this.partition(row.active).push(row)
    }
    // Generated rows are nearly sorted already, which the runtime's merge sort handles in linear time.
    this.activeRows.sort(compare)
    this.inactiveRows.sort(compare)
  }

  get size(): number {
    return this.byId.size
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id)
  }

  /** Every row the API lists, active and inactive, newest first (ties by `id`): what a sync can mirror. */
  all(): Array<Connection> {
    const merged = this.merged()
    return this.hiddenIds.size === 0 ? merged : merged.filter((row) => !this.hiddenIds.has(row.id))
  }

  /** The rows counted in `total` but never listed, newest first (ties by `id`). */
  hidden(): Array<Connection> {
    // `remove` forgets a hidden id with its row, so each one finds its row.
    return Array.from(this.hiddenIds).flatMap((id) => this.byId.get(id) ?? []).sort(compare)
  }

  list(filter: ConnectionFilter, offset: number, limit: number): Page.Page<Connection> {
    const tieRandom = this.tieRandom
    const selection = Page.select(
      this.partition(filter.active),
      matcher(filter),
      offset,
      limit,
      tieRandom === undefined ? undefined : Ties.tied
    )
    const rows = tieRandom === undefined ? selection.rows : Ties.shuffled(selection, tieRandom)
    const listed = this.hiddenIds.size === 0 ? rows : rows.filter((row) => !this.hiddenIds.has(row.id))
    return { rows: listed, total: selection.total }
  }

  /** Keeps the row out of every listing from now on; `get` still finds it. */
  hide(id: string): Either.Either<Connection, ConnectionNotFound> {
    const row = this.byId.get(id)
    if (row === undefined) return Either.left(new ConnectionNotFound({ id }))
    this.hiddenIds.add(id)
    return Either.right(row)
  }

  private merged(): Array<Connection> {
    const { activeRows, inactiveRows } = this
    const merged = new Array<Connection>(activeRows.length + inactiveRows.length)
    let out = 0
    let a = 0
    let i = 0
    let active = activeRows[a]
    let inactive = inactiveRows[i]
    while (active !== undefined && inactive !== undefined) {
      if (compare(active, inactive) < 0) {
        merged[out++] = active
        active = activeRows[++a]
      } else {
        merged[out++] = inactive
        inactive = inactiveRows[++i]
      }
    }
    // One list is spent: the rest of the other follows in its order.
    for (; active !== undefined; active = activeRows[++a]) merged[out++] = active
    for (; inactive !== undefined; inactive = inactiveRows[++i]) merged[out++] = inactive
    return merged
  }

  insert(input: ConnectionInput, options: InsertOptions = {}): Either.Either<Connection, ConnectionExists | InvalidConnection> {
    const createdAt = this.nextCreatedAt()
    const base = options.verbatim === true
      ? { id: this.random.uuid(), createdAt, active: true }
      : Generator.freshRow(this.random, createdAt)
    return Either.flatMap(check({ ...base, ...input }), (checked) => {
      if (this.byId.has(checked.id)) return Either.left(new ConnectionExists({ id: checked.id }))
      this.add(checked)
      return Either.right(checked)
    })
  }

  remove(id: string): Either.Either<Connection, ConnectionNotFound> {
    const row = this.byId.get(id)
    if (row === undefined) return Either.left(new ConnectionNotFound({ id }))
    this.detach(row)
    this.hiddenIds.delete(id)
    return Either.right(row)
  }

  /** Merges `patch` into the row verbatim; the `id` never changes. */
  update(id: string, patch: ConnectionInput): Either.Either<Connection, ConnectionNotFound | InvalidConnection> {
    const current = this.byId.get(id)
    if (current === undefined) return Either.left(new ConnectionNotFound({ id }))
    return Either.flatMap(check({ ...current, ...patch, id }), (next) => {
      this.detach(current)
      this.add(next)
      return Either.right(next)
    })
  }

  /**
   * Changes the inventory under a listing in progress: deletes the newest `delete`
   * rows of that listing (already served, so later rows shift onto earlier pages),
   * retags the next `update` rows, and inserts `insert` rows newer than all
   * (so served rows shift onto later pages).
   */
  drift(active: boolean, counts: { readonly insert: number; readonly delete: number; readonly update: number }): DriftReport {
    const list = this.partition(active)
    const deleted = list.slice(0, counts.delete).map((row) => row.id)
    for (const id of deleted) this.remove(id)
    const updated = list.slice(0, counts.update).map((row) => row.id)
    for (const id of updated) this.update(id, { tags: ["drifted"], state: "degraded" })
    const inserted = Array.from({ length: counts.insert }, () => Either.getOrThrow(this.insert({ active })).id)
    return { inserted, deleted, updated }
  }

  private add(row: Connection): void {
    this.byId.set(row.id, row)
    const list = this.partition(row.active)
    list.splice(positionOf(list, row), 0, row)
  }

  private detach(row: Connection): void {
    this.byId.delete(row.id)
    const list = this.partition(row.active)
    list.splice(positionOf(list, row), 1)
  }

  private partition(active: boolean): Array<Connection> {
    return active ? this.activeRows : this.inactiveRows
  }

  /** Strictly increasing, and never older than the generated rows. */
  private nextCreatedAt(): string {
    this.clockMicros = Math.max(Date.now() * 1000, this.clockMicros + 1)
    return Ascii.isoMicros(this.clockMicros)
  }
}

/**
 * The generated inventory, or `rows` completed like `insert` does; rows without a
 * `createdAt` keep the order they are given in (newest first). Only generated rows
 * carry nulls (`nulls`, default true) or are hidden (a share `hiddenShare`, default
 * 0.005); `shuffleTies` (default true) reorders tied rows on each listing.
 */
export const make = (options: {
  readonly seed: number
  readonly count: number
  readonly rows?: ReadonlyArray<ConnectionInput> | undefined
  readonly nulls?: boolean | undefined
  readonly hiddenShare?: number | undefined
  readonly shuffleTies?: boolean | undefined
}): Inventory => {
  const { seed, shuffleTies = true } = options
  if (options.rows === undefined) {
    const rows = Generator.generate(seed, options.count, { nulls: options.nulls })
    const inventory = new Inventory(rows, seed, shuffleTies)
    const hiddenShare = options.hiddenShare ?? 0.005
    // Its own stream, so the share hidden changes nothing else.
    const hiding = Random.make(seed ^ 0x41dde)
    for (const row of rows) if (hiding.next() < hiddenShare) inventory.hide(row.id)
    return inventory
  }
  const inventory = new Inventory([], seed, shuffleTies)
  for (const row of [...options.rows].reverse()) {
    const inserted = inventory.insert(row)
    if (Either.isLeft(inserted)) throw new Error(`Invalid initial row: ${JSON.stringify(inserted.left)}`)
  }
  return inventory
}
