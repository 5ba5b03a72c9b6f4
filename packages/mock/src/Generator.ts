import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Ascii from "./Ascii.js"
import { type Connection, type identityTypes, type states, tagVocabulary } from "./Connection.js"
import * as Platforms from "./Platforms.js"
import * as Random from "./Random.js"

const identityPrefixes = { user: "usr", team: "team", organization: "org", project: "prj" } as const
const nameSuffixes: NonEmptyReadonlyArray<string> = ["Production", "Staging", "Billing", "Sales team", "Support inbox", "Marketing", "Sandbox"]
const versions: NonEmptyReadonlyArray<string> = ["1.0.0", "1.0.0", "1.1.0", "1.2.3", "2.0.0"]
/** The newest generated row; later inserts are stamped with the wall clock. */
export const newestGeneratedMicros = Date.UTC(2025, 10, 20, 12) * 1000
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
const generateRow = (random: Random.Random, createdAt: string, fresh: boolean): Connection => {
  // Squaring skews towards the first, most common platforms.
  const { description, platform, platformVersion, title } = Random.at(Platforms.all, random.next() ** 2)
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

/** A row for an insert: active, in the current shape, its missing fields generated. */
export const freshRow = (random: Random.Random, createdAt: string): Connection => generateRow(random, createdAt, true)

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
    const row = generateRow(random, Ascii.isoMicros(micros), false)
    rows[i] = nulls === undefined ? row : withNulls(row, nulls)
  }
  return rows
}
