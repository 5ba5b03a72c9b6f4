import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { UrlCredentials } from "@picasync/client"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/** A variable set to "" is unset, as the OpenTelemetry specification reads it. */
const variable = (name: string) =>
  Config.option(Config.string(name)).pipe(Config.map(Option.filter((value) => value.trim() !== "")))

/** `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, the OTLP/HTTP convention. */
const tracesUrl = Config.all([variable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), variable("OTEL_EXPORTER_OTLP_ENDPOINT")]).pipe(
  Config.map(([traces, base]) => Option.orElse(traces, () => Option.map(base, (url) => `${url.trim().replace(/\/+$/, "")}/v1/traces`)))
)

const decoded = (value: string) => {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** `key=value,…` with URL-encoded values (a collector's API key, say): the general list, then the traces one over it. */
const exportHeaders = Config.all([variable("OTEL_EXPORTER_OTLP_HEADERS"), variable("OTEL_EXPORTER_OTLP_TRACES_HEADERS")]).pipe(
  Config.map((lists) =>
    Object.fromEntries(
      lists.flatMap(Option.toArray).flatMap((list) => list.split(",")).flatMap((pair) => {
        const at = pair.indexOf("=")
        if (at <= 0) return []
        return [[pair.slice(0, at).trim(), decoded(pair.slice(at + 1).trim())]]
      })
    )
  )
)

/** The variables and flag whose values no exported span may carry. */
const secretVariables = ["PICA_SECRET_KEY", "PICASYNC_DB_AUTH_TOKEN", "PICASYNC_NOTIFY_SECRET"] as const
const secretFlags = ["--db-auth-token"] as const

const flagValues = (argv: ReadonlyArray<string>) =>
  argv.flatMap((arg, index) =>
    secretFlags.flatMap((flag) => {
      const next = argv[index + 1]
      if (arg === flag) return next === undefined ? [] : [next]
      return arg.startsWith(`${flag}=`) ? [arg.slice(flag.length + 1)] : []
    })
  )

const secrets = (argv: ReadonlyArray<string>) =>
  Config.all(secretVariables.map((name) => Config.option(Config.redacted(name)))).pipe(
    Config.map((values) => [...values.flatMap(Option.toArray).map(Redacted.value), ...flagValues(argv)].filter((value) => value !== ""))
  )

/** `text` with each of `values`, any credentials of a URL and any token of a query string shown as `***`. */
export const redact = (values: ReadonlyArray<string>) => (text: string): string =>
  UrlCredentials.redact(values.reduce((out, value) => out.replaceAll(value, UrlCredentials.MASK), text))

const decoder = new TextDecoder()

/** Every string of an OTLP/JSON body through `clean`: names, attributes, events and error messages alike. */
const redactBody = (clean: (text: string) => string) => (request: HttpClientRequest.HttpClientRequest) =>
  request.body._tag === "Uint8Array"
    ? HttpClientRequest.bodyText(
      request,
      JSON.stringify(JSON.parse(decoder.decode(request.body.body), (_key, value) => typeof value === "string" ? clean(value) : value)),
      request.body.contentType
    )
    : request

/**
 * Its own client: the API's proxy settings are not the collector's. Node's `fetch`, so the commands
 * that only read the mirror, whose bundle has no undici, export their spans too.
 */
const exportClient = (clean: (text: string) => string) =>
  Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, HttpClient.mapRequest(redactBody(clean)))).pipe(
    Layer.provide(FetchHttpClient.layer)
  )

/** The exporter's modules could not be imported. */
export class ExporterUnavailable extends Schema.TaggedError<ExporterUnavailable>()("ExporterUnavailable", {
  reason: Schema.String
}) {
  override get message() {
    return `the OTLP exporter could not be loaded: ${this.reason}`
  }
}

const isHttpUrl = (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)

/**
 * No spans when none is exported: Effect's tracer would still make one (two random ids, a stack, its
 * attributes) for every request, statement and operation: a tenth to a fifth of the scan's CPU.
 */
const untraced: Layer.Layer<never> = Layer.setTracerEnabled(false)

/**
 * Spans exported over OTLP/HTTP (JSON) when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set,
 * as service `OTEL_SERVICE_NAME` (default `picasync`), batched and flushed when the command ends; the exporter is
 * imported only then. Secrets from the environment and `argv` are redacted from what is sent. Otherwise the
 * tracer is off.
 */
export const layer = (argv: ReadonlyArray<string>): Layer.Layer<never> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const url = yield* tracesUrl
      const disabled = Option.exists(yield* variable("OTEL_SDK_DISABLED"), (value) => value.trim().toLowerCase() === "true")
      if (Option.isNone(url) || disabled) return untraced
      if (!isHttpUrl(url.value)) {
        yield* Effect.logWarning("OTEL_EXPORTER_OTLP_ENDPOINT (or …_TRACES_ENDPOINT) is not an http(s) URL: traces are not exported")
        return untraced
      }
      const serviceName = Option.getOrElse(yield* variable("OTEL_SERVICE_NAME"), () => "picasync")
      const clean = redact(yield* secrets(argv))
      const [OtlpTracer, OtlpSerialization] = yield* Effect.tryPromise({
        try: () => Promise.all([import("@effect/opentelemetry/OtlpTracer"), import("@effect/opentelemetry/OtlpSerialization")]),
        catch: (cause) => new ExporterUnavailable({ reason: cause instanceof Error ? cause.message : String(cause) })
      })
      return OtlpTracer.layer({ url: url.value, headers: yield* exportHeaders, resource: { serviceName } }).pipe(
        Layer.provide(OtlpSerialization.layerJson),
        Layer.provide(exportClient(clean))
      )
    }).pipe(
      // Traces are an aid: a command runs without them rather than fail for them.
      Effect.catchAll((error) => Effect.as(Effect.logWarning(`traces are not exported: ${error.message}`), untraced))
    )
  )
