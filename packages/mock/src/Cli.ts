import { Either } from "effect"
import { parseArgs } from "node:util"
import type * as Faults from "./Faults.js"
import * as Limiter from "./Limiter.js"
import * as MockPica from "./MockPica.js"
import * as RateLimitHeaders from "./RateLimitHeaders.js"

export const usage = `Usage: picasync-mock [options]   (from the repo root: pnpm mock -- [options])

A mock of the Pica vault-connections API, with fault injection.

Server
  --port <n>               port to listen on (default 4010; 0 picks a free one)
  --host <address>         address to bind (default 127.0.0.1)
  --count <n>              connections to generate (default 1000)
  --seed <n>               seed of the inventory and of the random faults (default 1)
  --secret <key>           secret the API accepts (default ${MockPica.defaultSecret})
  --auth-header <name>     header carrying the secret (default ${MockPica.defaultAuthHeader})
  --limit-cap <n>          larger limits are clamped to it (default 100)
  --legacy-envelope        add "type": "Vault Connections" to listing envelopes

Real-service behaviours (on by default)
  --no-nulls               generated rows never send null (otherwise ~5% null identity and
                           identityType, ~1% null state, ~1% null tags)
  --hidden-share <share>   share (0..1) of generated rows counted in total but never listed
                           (default 0.005)
  --limiter <limit/window> fixed window per secret, e.g. 500/60s or 50/500ms (default 500/60s);
                           429 "Rate limit exceeded" past the limit, reset header = window length
  --no-limiter             no limiter (headers say 1000, 1000, 0)
  --limiter-retry-after    add Retry-After to the limiter's 429s (the real service sends none)
  --rate-limit-prefix <p>  prefix of the rate-limit headers, e.g. x-one- (default ${RateLimitHeaders.defaultPrefix})
  --no-tie-shuffle         order rows with equal createdAt by id instead of randomly per request

Older deployments (off by default)
  --legacy-shape           rows with _id, epoch-millisecond createdAt/updatedAt, deleted,
                           deprecated and lastModifiedBy
  --no-get-by-id           GET /v1/vault/connections/{id} answers 405 with an empty body
  --patch-empty            a successful PATCH answers a bare 200 with an empty body

Faults (API routes only; "rate" is a share of requests in 0..1, "every" is every Nth request)
  --latency <ms|min..max>  added delay, fixed or uniformly random
  --fail-rate <share>      answer a share of requests with a server error
  --fail-every <n>         answer every Nth request with a server error
  --fail-status <list>     statuses for those errors, among 500,502,503,504 (default all four)
  --rate-limit <cap/rps>   token bucket: capacity / refill per second, 429 when empty
  --no-retry-after         leave Retry-After off those 429s (the reset header stays)
  --cut-rate <share>       destroy the socket halfway through the body
  --cut-every <n>
  --html-rate <share>      answer with an HTML 502 page instead of JSON
  --html-every <n>
  --truncate-rate <share>  drop one row from a listing page, total unchanged
  --truncate-every <n>     (counts listing requests)
  --truncate-page <n>      drop one row from page n of every listing
  --drift <spec>           after=P,insert=K,delete=K,update=K: once a listing has served
                           page P, insert, delete and update connections under it (once)

  --help                   show this help
`

export interface Command {
  readonly help: boolean
  readonly options: MockPica.MockPicaOptions
}

const flags = {
  port: { type: "string" },
  host: { type: "string" },
  count: { type: "string" },
  seed: { type: "string" },
  secret: { type: "string" },
  "auth-header": { type: "string" },
  "limit-cap": { type: "string" },
  "legacy-envelope": { type: "boolean" },
  "no-nulls": { type: "boolean" },
  "hidden-share": { type: "string" },
  limiter: { type: "string" },
  "no-limiter": { type: "boolean" },
  "limiter-retry-after": { type: "boolean" },
  "rate-limit-prefix": { type: "string" },
  "no-tie-shuffle": { type: "boolean" },
  "legacy-shape": { type: "boolean" },
  "no-get-by-id": { type: "boolean" },
  "patch-empty": { type: "boolean" },
  latency: { type: "string" },
  "fail-rate": { type: "string" },
  "fail-every": { type: "string" },
  "fail-status": { type: "string" },
  "rate-limit": { type: "string" },
  "no-retry-after": { type: "boolean" },
  "cut-rate": { type: "string" },
  "cut-every": { type: "string" },
  "html-rate": { type: "string" },
  "html-every": { type: "string" },
  "truncate-rate": { type: "string" },
  "truncate-every": { type: "string" },
  "truncate-page": { type: "string" },
  drift: { type: "string" },
  help: { type: "boolean" }
} as const

/** A flag's value that does not parse; the message names the flag. */
class UsageError {
  constructor(readonly message: string) {}
}

const integer = (flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  const parsed = Number(value)
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`
    throw new UsageError(`--${flag} expects an integer ${range}, got "${value}"`)
  }
  return parsed
}

const share = (flag: string, value: string): number => {
  const parsed = Number(value)
  if (value.trim() === "" || !(parsed >= 0 && parsed <= 1)) {
    throw new UsageError(`--${flag} expects a share between 0 and 1, got "${value}"`)
  }
  return parsed
}

const latency = (value: string): Faults.Latency => {
  const range = /^(\d+)\.\.(\d+)$/.exec(value)
  if (range === null) return integer("latency", value, 0)
  const [min, max] = [Number(range[1]), Number(range[2])]
  if (min > max) throw new UsageError(`--latency range ${value} has min above max`)
  return { min, max }
}

const failStatuses = (value: string): Faults.ServerErrors["statuses"] => {
  const statuses = value.split(",").map((item) => Number(item.trim()))
  const allowed = [500, 502, 503, 504] as const
  const valid = statuses.filter((status): status is (typeof allowed)[number] => (allowed as ReadonlyArray<number>).includes(status))
  if (valid.length === 0 || valid.length !== statuses.length) {
    throw new UsageError(`--fail-status expects a list among 500,502,503,504, got "${value}"`)
  }
  return [valid[0]!, ...valid.slice(1)]
}

const rateLimit = (value: string, retryAfter: boolean): Faults.RateLimit => {
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(value)
  if (match === null || Number(match[1]) < 1 || Number(match[2]) <= 0) {
    throw new UsageError(`--rate-limit expects capacity/refill-per-second such as 50/10, got "${value}"`)
  }
  return { capacity: Number(match[1]), refillPerSecond: Number(match[2]), retryAfter }
}

const windowUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 }

const limiterSpec = (value: string): Limiter.Limiter => {
  const match = /^(\d+)\/(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value)
  if (match !== null) {
    const limit = Number(match[1])
    const exactMs = Number(match[2]) * windowUnits[match[3]!]!
    // Rounds away float noise (1.1 * 1000), not a fraction of a millisecond.
    const windowMs = Math.round(exactMs)
    const whole = Math.abs(exactMs - windowMs) < 1e-6 && Number.isSafeInteger(windowMs)
    if (Number.isSafeInteger(limit) && limit >= 1 && whole && windowMs >= 1) return { limit, windowMs }
  }
  throw new UsageError(`--limiter expects limit/window such as 500/60s or 50/500ms, got "${value}"`)
}

/** The limiter from `--limiter`, `--limiter-retry-after` and `--no-limiter`; undefined keeps the default. */
const limiter = (
  spec: string | undefined,
  retryAfter: boolean | undefined,
  off: boolean | undefined
): Limiter.Limiter | null | undefined => {
  if (off === true) {
    if (spec !== undefined || retryAfter === true) {
      throw new UsageError("--no-limiter cannot be combined with --limiter or --limiter-retry-after")
    }
    return null
  }
  if (spec === undefined && retryAfter !== true) return undefined
  const config = spec === undefined ? Limiter.defaultLimiter : limiterSpec(spec)
  return retryAfter === true ? { ...config, retryAfter: true } : config
}

const headerPrefix = (value: string): string => {
  const prefix = value.toLowerCase()
  if (!RateLimitHeaders.validPrefix(prefix)) {
    throw new UsageError(`--rate-limit-prefix expects letters, digits and dashes such as x-one-, got "${value}"`)
  }
  return prefix
}

/** `true` for a `--no-X` flag that was given, so the option turns off; otherwise the default stays. */
const offWhen = (flag: boolean | undefined): false | undefined => flag === true ? false : undefined

const drift = (value: string): Faults.Drift => {
  const fields: Record<string, number> = {}
  for (const part of value.split(",")) {
    const [name, count] = part.split("=")
    if (!["after", "insert", "delete", "update"].includes(name ?? "") || count === undefined) {
      throw new UsageError(`--drift expects after=P,insert=K,delete=K,update=K, got "${value}"`)
    }
    fields[name!] = integer("drift", count, name === "after" ? 1 : 0)
  }
  if (fields.after === undefined) throw new UsageError(`--drift needs after=P, got "${value}"`)
  const { after, ...counts } = fields
  return { afterPage: after, ...counts }
}

/** A trigger from its `--X-rate` and `--X-every` flags, or nothing when neither is set. */
const trigger = (name: string, rate: string | undefined, every: string | undefined): Faults.Trigger | undefined =>
  rate === undefined && every === undefined ? undefined : {
    ...(rate === undefined ? {} : { rate: share(`${name}-rate`, rate) }),
    ...(every === undefined ? {} : { every: integer(`${name}-every`, every, 1) })
  }

/** Leaves out the keys whose value is undefined, as exactOptionalPropertyTypes wants. */
const defined = <A extends Record<string, unknown>>(record: A): { [K in keyof A]?: Exclude<A[K], undefined> } =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as never

/** Parses the command line; a literal leading `--` (passed through by pnpm) is ignored. */
export const parse = (argv: ReadonlyArray<string>): Either.Either<Command, string> => {
  try {
    const args = argv[0] === "--" ? argv.slice(1) : [...argv]
    const { values } = parseArgs({ args, options: flags, strict: true, allowPositionals: false })
    const errors = trigger("fail", values["fail-rate"], values["fail-every"])
    const truncate = trigger("truncate", values["truncate-rate"], values["truncate-every"])
    const truncatePage = values["truncate-page"] === undefined ? undefined : integer("truncate-page", values["truncate-page"], 1)
    const faults: Faults.Faults = defined({
      latency: values.latency === undefined ? undefined : latency(values.latency),
      errors: errors === undefined && values["fail-status"] === undefined ? undefined : {
        ...errors,
        ...defined({ statuses: values["fail-status"] === undefined ? undefined : failStatuses(values["fail-status"]) })
      },
      rateLimit: values["rate-limit"] === undefined ? undefined : rateLimit(values["rate-limit"], values["no-retry-after"] !== true),
      cut: trigger("cut", values["cut-rate"], values["cut-every"]),
      html: trigger("html", values["html-rate"], values["html-every"]),
      truncate: truncate === undefined && truncatePage === undefined ? undefined : { ...truncate, ...defined({ page: truncatePage }) },
      drift: values.drift === undefined ? undefined : drift(values.drift)
    })
    const options: MockPica.MockPicaOptions = defined({
      port: values.port === undefined ? 4010 : integer("port", values.port, 0, 65535),
      host: values.host,
      count: values.count === undefined ? 1000 : integer("count", values.count, 0),
      seed: values.seed === undefined ? undefined : integer("seed", values.seed, 0),
      secret: values.secret,
      authHeader: values["auth-header"],
      limitCap: values["limit-cap"] === undefined ? undefined : integer("limit-cap", values["limit-cap"], 1),
      legacyEnvelope: values["legacy-envelope"],
      nulls: offWhen(values["no-nulls"]),
      hiddenShare: values["hidden-share"] === undefined ? undefined : share("hidden-share", values["hidden-share"]),
      limiter: limiter(values.limiter, values["limiter-retry-after"], values["no-limiter"]),
      rateLimitHeaderPrefix: values["rate-limit-prefix"] === undefined ? undefined : headerPrefix(values["rate-limit-prefix"]),
      shuffleTies: offWhen(values["no-tie-shuffle"]),
      legacyShape: values["legacy-shape"],
      getById: offWhen(values["no-get-by-id"]),
      patchAnswer: values["patch-empty"] === true ? "empty" as const : undefined,
      faults
    })
    return Either.right({ help: values.help === true, options })
  } catch (error) {
    // parseArgs reports unknown flags and missing values by throwing; its messages name the flag.
    return Either.left(error instanceof UsageError || error instanceof Error ? error.message : String(error))
  }
}
