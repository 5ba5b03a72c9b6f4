import { Data, Either } from "effect"
import * as Ascii from "./Ascii.js"
import * as Page from "./Page.js"
import * as Platforms from "./Platforms.js"
import * as Random from "./Random.js"
import * as Ties from "./Ties.js"

/**
 * A stored connection. `id`, `createdAt` and `active` are always present because
 * the store orders and partitions by them; every other field is kept verbatim,
 * including unknown fields and enum values the API does not document.
 */
export interface Connection {
  readonly id: string
  readonly createdAt: string
  readonly active: boolean
  readonly [field: string]: unknown
}

/** Any subset of a connection's fields, plus unknown ones. */
export interface ConnectionInput {
  readonly [field: string]: unknown
}

export interface InsertOptions {
  /**
   * Store the input as given, adding only a missing `id`, `createdAt` or `active`;
   * otherwise the missing documented fields are generated.
   */
  readonly verbatim?: boolean
}

export class ConnectionNotFound extends Data.TaggedError("ConnectionNotFound")<{ readonly id: string }> {}

export class ConnectionExists extends Data.TaggedError("ConnectionExists")<{ readonly id: string }> {}

export class InvalidConnection extends Data.TaggedError("InvalidConnection")<{ readonly message: string }> {}

/** The listing filters of `GET /v1/vault/connections`; `undefined` means "not filtered". */
export interface ConnectionFilter {
  readonly active: boolean
  readonly keys: ReadonlySet<string> | undefined
  readonly tags: ReadonlySet<string> | undefined
  readonly platformVersion: string | undefined
  readonly name: string | undefined
  readonly identityType: string | undefined
  readonly identity: string | undefined
  readonly platform: string | undefined
  /** Any other parameter: an exact match on the field of that name, as the real backend does. */
  readonly otherFields: ReadonlyArray<readonly [field: string, value: string]>
}

/** What a drift fault did to the inventory, by connection id. */
export interface DriftReport {
  readonly inserted: ReadonlyArray<string>
  readonly deleted: ReadonlyArray<string>
  readonly updated: ReadonlyArray<string>
}

export const identityTypes = ["user", "team", "organization", "project"] as const
export const states = ["operational", "degraded", "failed", "unknown"] as const
export const tagVocabulary = [
  "production",
  "staging",
  "billing",
  "crm",
  "support",
  "marketing",
  "internal",
  "sales",
  "analytics",
  "ops"
] as const

const identityPrefixes = { user: "usr", team: "team", organization: "org", project: "prj" } as const
const nameSuffixes = ["Production", "Staging", "Billing", "Sales team", "Support inbox", "Marketing", "Sandbox"]
const versions = ["1.0.0", "1.0.0", "1.1.0", "1.2.3", "2.0.0"]
/** The newest generated row; later inserts are stamped with the wall clock. */
const newestGeneratedMicros = Date.UTC(2025, 10, 20, 12) * 1000
/** Generated rows spread over two years whatever their count. */
const generatedSpanMicros = 2 * 365 * 86_400 * 1_000_000

const pickIdentityType = (random: Random.Random): (typeof identityTypes)[number] => {
  const r = random.next()
  return r < 0.55 ? "user" : r < 0.75 ? "team" : r < 0.9 ? "organization" : "project"
}

const pickState = (random: Random.Random, active: boolean): (typeof states)[number] => {
  const r = random.next()
  if (!active) return r < 0.6 ? "failed" : r < 0.8 ? "unknown" : r < 0.9 ? "degraded" : "operational"
  return r < 0.85 ? "operational" : r < 0.93 ? "degraded" : r < 0.97 ? "unknown" : "failed"
}

const noTags: ReadonlyArray<string> = Object.freeze([])

const pickTags = (random: Random.Random): ReadonlyArray<string> => {
  if (random.next() < 0.3) return noTags
  const tags = new Set<string>()
  const wanted = 1 + random.int(3)
  while (tags.size < wanted) tags.add(random.pick(tagVocabulary))
  return [...tags]
}

/**
 * One realistic row: ~10% inactive, ~5% in the older shape, ~3% with extra unknown
 * fields. A `fresh` row (for inserts) is active and in the current shape.
 */
const generateRow = (random: Random.Random, createdAt: string, fresh = false): Connection => {
  // Squaring skews towards the first, most common platforms.
  const { description, platform, platformVersion, title } = Platforms.all[Math.floor(random.next() ** 2 * Platforms.all.length)]!
  const environment = random.next() < 0.3 ? "test" : "live"
  const secretHex = random.hex(32)
  const identityType = pickIdentityType(random)
  const identity = identityType === "user" ? secretHex : Ascii.join(identityPrefixes[identityType], "_", random.hex(16))
  const key = identityType === "user"
    ? Ascii.join(environment, "::", platform, "::default::", secretHex)
    : Ascii.join(environment, "::", platform, "::default::", secretHex, "|", identity)
  const id = random.uuid()
  const active = random.next() >= 0.1 || fresh
  const version = random.pick(versions)
  const shape = fresh ? 1 : random.next()
  if (shape < 0.015) {
    // The older shape without state, tags, name or identity.
    const bareKey = Ascii.join(environment, "::", platform, "::default::", secretHex)
    return { id, platformVersion, type: "api", key: bareKey, environment, platform, description, version, active, createdAt }
  }
  if (shape < 0.05) {
    // The older shape: no state, tags or name.
    return { id, platformVersion, type: "api", key, environment, platform, identity, identityType, description, version, active, createdAt }
  }
  const name = random.next() < 0.3 ? null : Ascii.join(title, " ", random.pick(nameSuffixes))
  const state = pickState(random, active)
  const tags = pickTags(random)
  if (shape < 0.08) {
    const legacyRef = Ascii.join("lr_", random.hex(8))
    return { id, platformVersion, name, type: "api", key, environment, platform, identity, identityType, description, state, tags, version, active, createdAt, legacyRef }
  }
  return { id, platformVersion, name, type: "api", key, environment, platform, identity, identityType, description, state, tags, version, active, createdAt }
}

/**
 * Sends `null` where the open backend's `Option`s are `None`: on ~5% of current-shape
 * rows `identity` and `identityType`, on ~1% `state`, on ~1% `tags`. Draws three
 * numbers a row whatever its shape, so each row's decisions depend on its index only.
 */
const withNulls = (row: Connection, random: Random.Random): Connection => {
  const identity = random.next() < 0.05
  const state = random.next() < 0.01
  const tags = random.next() < 0.01
  if (!("state" in row) || !(identity || state || tags)) return row
  return {
    ...row,
    ...(identity ? { identity: null, identityType: null } : {}),
    ...(state ? { state: null } : {}),
    ...(tags ? { tags: null } : {})
  }
}

/**
 * `count` rows from `seed`, newest first. About 1% share the previous row's
 * `createdAt` exactly. `nulls` (default true) sends some optional fields as `null`.
 */
export const generate = (
  seed: number,
  count: number,
  options: { readonly nulls?: boolean | undefined } = {}
): Array<Connection> => {
  const random = Random.make(seed)
  // Its own stream, so turning nulls off leaves every other generated value as it was.
  const nulls = options.nulls === false ? undefined : Random.make(seed ^ 0x6e011)
  const averageGap = generatedSpanMicros / Math.max(count, 1)
  const rows = new Array<Connection>(count)
  let micros = newestGeneratedMicros
  for (let i = 0; i < count; i++) {
    if (i > 0 && random.next() >= 0.01) micros -= 1 + random.int(2 * averageGap)
    const row = generateRow(random, Ascii.isoMicros(micros))
    rows[i] = nulls === undefined ? row : withNulls(row, nulls)
  }
  return rows
}

/** Store order: `createdAt` descending, then `id` ascending (API order too, unless ties are shuffled). */
export const compare = (a: Connection, b: Connection): number =>
  a.createdAt > b.createdAt ? -1 : a.createdAt < b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

/** Where `row` belongs in an API-ordered list (binary search). */
const positionOf = (list: ReadonlyArray<Connection>, row: Connection): number => {
  let low = 0
  let high = list.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (compare(list[middle]!, row) < 0) low = middle + 1
    else high = middle
  }
  return low
}

const checkCore = (row: ConnectionInput): Either.Either<Connection, InvalidConnection> => {
  if (typeof row.id !== "string" || row.id === "") {
    return Either.left(new InvalidConnection({ message: "id must be a non-empty string" }))
  }
  if (typeof row.createdAt !== "string") {
    return Either.left(new InvalidConnection({ message: "createdAt must be a string" }))
  }
  if (typeof row.active !== "boolean") return Either.left(new InvalidConnection({ message: "active must be a boolean" }))
  return Either.right(row as Connection)
}

/** A field's value as a query string would spell it; objects, arrays and null never match. */
const asParameter = (value: unknown): string | undefined =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : undefined

const matcher = (filter: ConnectionFilter): ((row: Connection) => boolean) | undefined => {
  const checks: Array<(row: Connection) => boolean> = []
  const { identity, identityType, keys, name, otherFields, platform, platformVersion, tags } = filter
  if (keys !== undefined) checks.push((row) => typeof row.key === "string" && keys.has(row.key))
  if (tags !== undefined) {
    checks.push((row) => Array.isArray(row.tags) && row.tags.some((tag) => tags.has(tag)))
  }
  const exact = { platformVersion, name, identityType, identity, platform }
  for (const [field, value] of Object.entries(exact)) {
    if (value !== undefined) checks.push((row) => row[field] === value)
  }
  for (const [field, value] of otherFields) checks.push((row) => asParameter(row[field]) === value)
  if (checks.length === 0) return undefined
  return (row) => checks.every((check) => check(row))
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
  private clockMicros = newestGeneratedMicros

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
    return Array.from(this.hiddenIds, (id) => this.byId.get(id)!).sort(compare)
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
    const merged = new Array<Connection>(this.byId.size)
    let a = 0
    let i = 0
    for (let out = 0; out < merged.length; out++) {
      const takeActive =
        i >= this.inactiveRows.length ||
        (a < this.activeRows.length && compare(this.activeRows[a]!, this.inactiveRows[i]!) < 0)
      merged[out] = takeActive ? this.activeRows[a++]! : this.inactiveRows[i++]!
    }
    return merged
  }

  insert(input: ConnectionInput, options: InsertOptions = {}): Either.Either<Connection, ConnectionExists | InvalidConnection> {
    const createdAt = this.nextCreatedAt()
    const base = options.verbatim === true
      ? { id: this.random.uuid(), createdAt, active: true }
      : generateRow(this.random, createdAt, true)
    return Either.flatMap(checkCore({ ...base, ...input }), (checked) => {
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
    return Either.flatMap(checkCore({ ...current, ...patch, id }), (next) => {
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
    const rows = generate(seed, options.count, { nulls: options.nulls })
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
