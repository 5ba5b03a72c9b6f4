import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import { Effect, Either, Option } from "effect"
import { createRequire } from "node:module"
import type * as Faults from "./Faults.js"
import * as FlagValue from "./FlagValue.js"
import * as Limiter from "./Limiter.js"
import * as MockPica from "./MockPica.js"
import * as RateLimitHeaders from "./RateLimitHeaders.js"

/** A flag taking a value, parsed by `parse`; undefined when it is not given. */
const valued = <A>(name: string, kind: string, description: string, parse: (value: string) => FlagValue.Parsed<A>) =>
  Options.text(name).pipe(
    Options.withPseudoName(kind),
    Options.withDescription(description),
    Options.optional,
    Options.mapEffect(Option.match({
      onNone: () => Effect.succeed(undefined),
      onSome: (value) =>
        Either.match(parse(value), {
          onLeft: (message) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message))),
          onRight: (parsed) => Effect.succeed(parsed)
        })
    }))
  )

const toggle = (name: string, description: string) => Options.boolean(name).pipe(Options.withDescription(description))

const rateFlag = (name: string, what: string) =>
  valued(`${name}-rate`, "share", `Share (0..1) of requests ${what}.`, FlagValue.share(`${name}-rate`))

const everyFlag = (name: string, what: string) =>
  valued(`${name}-every`, "n", `Every Nth request ${what}.`, FlagValue.integer(`${name}-every`, 1))

const flags = {
  port: valued("port", "n", "Port to listen on; 0 picks a free one. Default: 4010.", FlagValue.integer("port", 0, 65535)),
  host: valued("host", "address", "Address to bind. Default: 127.0.0.1.", FlagValue.text),
  count: valued("count", "n", "Connections to generate. Default: 1000.", FlagValue.integer("count", 0)),
  seed: valued("seed", "n", "Seed of the inventory and of the random faults. Default: 1.", FlagValue.integer("seed", 0)),
  secret: valued("secret", "key", `Secret the API accepts (sk_live_… works too). Default: ${MockPica.defaultSecret}.`, FlagValue.text),
  authHeader: valued("auth-header", "name", `Header carrying the secret. Default: ${MockPica.defaultAuthHeader}.`, FlagValue.text),
  limitCap: valued(
    "limit-cap",
    "n|none",
    "The most rows a page holds (none: no cap); what a larger limit gets is --over-cap's. Default: 100.",
    FlagValue.limitCap
  ),
  overCap: valued(
    "over-cap",
    "clamp|skew|refuse",
    "What a limit above --limit-cap gets: clamp pages by the cap (as if the cap were asked); skew caps the rows but " +
      "counts pages and offsets by the size asked, so page 2 starts after rows never sent; refuse answers 400 naming " +
      "limit. Default: clamp.",
    FlagValue.overCap
  ),
  legacyEnvelope: toggle("legacy-envelope", "Add \"type\": \"Vault Connections\" to listing envelopes."),
  noNulls: toggle(
    "no-nulls",
    "Generated rows never send null (otherwise ~5% null identity and identityType, ~1% null state, ~1% null tags)."
  ),
  hiddenShare: valued(
    "hidden-share",
    "share",
    "Share (0..1) of generated rows counted in total but never listed. Default: 0.005.",
    FlagValue.share("hidden-share")
  ),
  limiter: valued(
    "limiter",
    "limit/window",
    "The real service's fixed window per secret, the window in ms, s or m, e.g. 500/60s or 50/500ms: 429 \"Rate limit " +
      "exceeded\" past the limit, reset header = the window's length. Default: 500/60s.",
    FlagValue.limiterSpec
  ),
  noLimiter: toggle("no-limiter", "No limiter (headers say 1000, 1000, 0 unless a rate-limit fault is set)."),
  limiterRetryAfter: toggle("limiter-retry-after", "Add Retry-After to the limiter's 429s (the real service sends none)."),
  rateLimitPrefix: valued(
    "rate-limit-prefix",
    "prefix",
    `Prefix of the three rate-limit headers, e.g. x-one-. Default: ${RateLimitHeaders.defaultPrefix}.`,
    FlagValue.headerPrefix
  ),
  noTieShuffle: toggle("no-tie-shuffle", "Rows with equal createdAt come in id order instead of a fresh random order per request."),
  legacyShape: toggle(
    "legacy-shape",
    "Older deployments: rows with _id, epoch-millisecond createdAt/updatedAt, deleted, deprecated and lastModifiedBy."
  ),
  noGetById: toggle("no-get-by-id", "Older deployments: GET /v1/vault/connections/{id} answers 405 with an empty body."),
  patchEmpty: toggle("patch-empty", "Older deployments: a successful PATCH answers a bare 200 with an empty body."),
  latency: valued("latency", "ms|min..max", "Fault: added delay, fixed or uniformly random, in ms.", FlagValue.latency),
  failRate: rateFlag("fail", "answered with a server error"),
  failEvery: everyFlag("fail", "answered with a server error"),
  failStatus: valued(
    "fail-status",
    "list",
    "Statuses of those server errors, among 500,502,503,504. Default: all four.",
    FlagValue.failStatuses
  ),
  rateLimit: valued(
    "rate-limit",
    "cap/rps",
    "Fault: a token bucket in front of the API, capacity / refill per second (e.g. 50/10); 429 when empty.",
    FlagValue.rateLimit
  ),
  noRetryAfter: toggle("no-retry-after", "Leave Retry-After off the bucket's 429s (the reset header stays)."),
  cutRate: rateFlag("cut", "whose socket is destroyed halfway through the body"),
  cutEvery: everyFlag("cut", "whose socket is destroyed halfway through the body"),
  htmlRate: rateFlag("html", "answered with an HTML 502 page instead of JSON"),
  htmlEvery: everyFlag("html", "answered with an HTML 502 page instead of JSON"),
  truncateRate: rateFlag("truncate", "(listings only) whose page misses one row, total unchanged"),
  truncateEvery: everyFlag("truncate", "(listings only, counted among listings) whose page misses one row, total unchanged"),
  truncatePage: valued("truncate-page", "n", "Page n of every listing misses one row.", FlagValue.integer("truncate-page", 1)),
  drift: valued(
    "drift",
    "after=P,insert=K,delete=K,update=K",
    "Once a listing has served page P, insert, delete and update connections under it (once).",
    FlagValue.drift
  )
}

type Values = { readonly [K in keyof typeof flags]: (typeof flags)[K] extends Options.Options<infer A> ? A : never }

/** A trigger from its rate and every flags, or nothing when neither is set. */
const trigger = (rate: number | undefined, every: number | undefined): Faults.Trigger | undefined =>
  rate === undefined && every === undefined ? undefined : defined({ rate, every })

/** Leaves out the keys whose value is undefined, as exactOptionalPropertyTypes wants. */
const defined = <A extends Record<string, unknown>>(record: A): { [K in keyof A]?: Exclude<A[K], undefined> } =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as never

/** `false` for a `--no-X` flag that was given, so the option turns off; otherwise the default stays. */
const offWhen = (flag: boolean): false | undefined => flag ? false : undefined

/** The limiter from `--limiter`, `--limiter-retry-after` and `--no-limiter`; undefined keeps the default. */
const limiter = (values: Values): FlagValue.Parsed<Limiter.Limiter | null | undefined> => {
  if (values.noLimiter) {
    return values.limiter !== undefined || values.limiterRetryAfter
      ? Either.left("--no-limiter cannot be combined with --limiter or --limiter-retry-after")
      : Either.right(null)
  }
  if (!values.limiterRetryAfter) return Either.right(values.limiter)
  return Either.right({ ...(values.limiter ?? Limiter.defaultLimiter), retryAfter: true })
}

const faults = (values: Values): Faults.Faults => {
  const errors = trigger(values.failRate, values.failEvery)
  const truncate = trigger(values.truncateRate, values.truncateEvery)
  return defined({
    latency: values.latency,
    errors: errors === undefined && values.failStatus === undefined
      ? undefined
      : { ...errors, ...defined({ statuses: values.failStatus }) },
    rateLimit: values.rateLimit === undefined ? undefined : { ...values.rateLimit, retryAfter: !values.noRetryAfter },
    cut: trigger(values.cutRate, values.cutEvery),
    html: trigger(values.htmlRate, values.htmlEvery),
    truncate: truncate === undefined && values.truncatePage === undefined
      ? undefined
      : { ...truncate, ...defined({ page: values.truncatePage }) },
    drift: values.drift
  })
}

const mockOptions = (values: Values): FlagValue.Parsed<MockPica.MockPicaOptions> =>
  Either.map(limiter(values), (limiter) =>
    defined({
      port: values.port ?? 4010,
      host: values.host,
      count: values.count ?? 1000,
      seed: values.seed,
      secret: values.secret,
      authHeader: values.authHeader,
      limitCap: values.limitCap,
      overCap: values.overCap,
      legacyEnvelope: values.legacyEnvelope || undefined,
      nulls: offWhen(values.noNulls),
      hiddenShare: values.hiddenShare,
      limiter,
      rateLimitHeaderPrefix: values.rateLimitPrefix,
      shuffleTies: offWhen(values.noTieShuffle),
      legacyShape: values.legacyShape || undefined,
      getById: offWhen(values.noGetById),
      patchAnswer: values.patchEmpty ? "empty" as const : undefined,
      faults: faults(values)
    }))

/** Every flag, parsed into the server's options; a malformed one fails naming it. */
export const options: Options.Options<MockPica.MockPicaOptions> = Options.all(flags).pipe(
  Options.mapEffect((values) =>
    Either.match(mockOptions(values), {
      onLeft: (message) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message))),
      onRight: (parsed) => Effect.succeed(parsed)
    })
  )
)

const description = "A mock of the Pica vault-connections API, with fault injection (from the repo root: pnpm mock -- " +
  "[options]). Faults apply to API routes only; a rate is a share of requests in 0..1, an every is every Nth request."

const version: string = createRequire(import.meta.url)("../package.json").version

/**
 * Runs `serve` with the options of a command line (as `process.argv`); a literal `--` after the script
 * (which pnpm passes through) is ignored. Fails with a `ValidationError`, already printed, on a malformed flag.
 */
export const run = <E, R>(serve: (options: MockPica.MockPicaOptions) => Effect.Effect<void, E, R>) =>
(argv: ReadonlyArray<string>) => {
  const command = Command.make("picasync-mock", { options }, (parsed) => serve(parsed.options)).pipe(
    Command.withDescription(description)
  )
  const args = argv[2] === "--" ? [...argv.slice(0, 2), ...argv.slice(3)] : argv
  return Command.run(command, { name: "picasync-mock", version })(args)
}
