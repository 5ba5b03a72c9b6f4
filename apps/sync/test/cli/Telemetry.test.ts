import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { redact } from "../../src/cli/Telemetry.js"
import { apiEnv, spawnCli, startMock, tempDir } from "../harness.js"

interface Received {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** An OTLP/HTTP collector on loopback: answers 200 to everything and keeps every request whole. */
const collector = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly received: Array<Received>; readonly close: () => Promise<void> }>((resume) => {
    const received: Array<Received> = []
    const server = createServer((request, response) => {
      let body = ""
      request.setEncoding("utf8")
      request.on("data", (chunk: string) => (body += chunk))
      request.on("end", () => {
        received.push({ method: request.method ?? "", path: request.url ?? "", headers: request.headers, body })
        response.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        received,
        close: () => new Promise<void>((resolve) => server.close(() => resolve()))
      })))
  }),
  ({ close }) => Effect.promise(close)
)

interface OtlpValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly boolValue?: boolean
}
interface OtlpAttribute {
  readonly key: string
  readonly value: OtlpValue
}
interface OtlpSpan {
  readonly name: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly traceId: string
  readonly attributes: ReadonlyArray<OtlpAttribute>
}
interface OtlpTraces {
  readonly resourceSpans: ReadonlyArray<{
    readonly resource: { readonly attributes: ReadonlyArray<OtlpAttribute> }
    readonly scopeSpans: ReadonlyArray<{ readonly spans: ReadonlyArray<OtlpSpan> }>
  }>
}

const attribute = (attributes: ReadonlyArray<OtlpAttribute>, key: string) => {
  const value = attributes.find((entry) => entry.key === key)?.value
  return value?.stringValue ?? (value?.intValue === undefined ? value?.boolValue : Number(value.intValue))
}

/** Distinctive enough that any appearance is a leak. */
const canary = (label: string) => `${label}Canary${randomBytes(12).toString("hex")}`

const recordImports = fileURLToPath(new URL("fixtures/recordImports.mjs", import.meta.url))

/** A module of `@effect/opentelemetry` or of an `@opentelemetry/*` package. */
const openTelemetryModule = /\/node_modules\/@(effect\/)?opentelemetry\//

/** The modules a CLI run loaded, from `fixtures/recordImports.mjs`. */
const withImportsRecorded = (dir: string) => {
  const file = join(dir, "imports.txt")
  return {
    env: { NODE_OPTIONS: `--import=${recordImports}`, PICASYNC_TEST_IMPORTS: file },
    loaded: () => (existsSync(file) ? readFileSync(file, "utf8").split("\n") : [])
  }
}

describe("picasync traces (OpenTelemetry)", () => {
  it.scopedLive(
    "with OTEL_EXPORTER_OTLP_ENDPOINT, a sync's spans reach the collector with their names and attributes, and no secret does",
    () =>
      Effect.gen(function*() {
        const secret = `sk_test_${canary("Pica")}`
        const envToken = canary("DbTokenEnv")
        const flagToken = canary("DbTokenFlag")
        const notifySecret = canary("NotifySecret")
        const urlPassword = canary("UrlPassword")
        // The first request meets a 429: its retry is annotated on the client's span.
        const mock = yield* startMock({ count: 120, seed: 71, secret, faults: { script: [{ status: 429, retryAfter: "0" }] } })
        const otlp = yield* collector
        const dir = yield* tempDir
        const imports = withImportsRecorded(dir)
        const baseUrl = new URL(mock.url)
        baseUrl.username = "pica"
        baseUrl.password = urlPassword
        const cli = yield* spawnCli(["sync", "--db", join(dir, "mirror.db"), "--db-auth-token", flagToken], {
          PICA_SECRET_KEY: secret,
          PICA_BASE_URL: baseUrl.href,
          PICASYNC_DB_AUTH_TOKEN: envToken,
          PICASYNC_NOTIFY_SECRET: notifySecret,
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
          OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=collector%20key",
          ...imports.env
        }, { sources: true })
        assert.strictEqual(yield* cli.exitCode, 0, cli.stderr())

        // Flushed before the process exited: everything is here already.
        assert.isAbove(otlp.received.length, 0)
        for (const request of otlp.received) {
          assert.deepInclude(request, { method: "POST", path: "/v1/traces" })
          assert.strictEqual(request.headers["content-type"], "application/json")
          assert.strictEqual(request.headers["x-collector-key"], "collector key")
        }
        const batches = otlp.received.map((request) => JSON.parse(request.body) as OtlpTraces)
        for (const batch of batches) {
          for (const { resource } of batch.resourceSpans) assert.strictEqual(attribute(resource.attributes, "service.name"), "picasync")
        }
        const spans = batches.flatMap((batch) => batch.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)))
        const named = (name: string) => spans.filter((span) => span.name === name)
        for (
          const name of [
            "MirrorDatabase.open",
            "PicaSync.run",
            "Sync.run",
            "SyncLock.hold",
            "Scan.inventory",
            "PicaClient.listConnections",
            "http.client GET",
            "Database.transaction mirror",
            "Mirror.apply",
            "SyncRun.finish"
          ]
        ) assert.isAbove(named(name).length, 0, `no ${name} span among ${[...new Set(spans.map((span) => span.name))].join(", ")}`)

        // One trace from the engine's run down to its HTTP requests.
        const [engine] = named("PicaSync.run")
        const [run] = named("Sync.run")
        assert.strictEqual(run!.parentSpanId, engine!.spanId)
        assert.isTrue(named("PicaClient.listConnections").every((span) => span.traceId === engine!.traceId))

        const requests = named("http.client GET")
        const fullUrls = requests.map((span) => String(attribute(span.attributes, "url.full")))
        // The base URL's user and password go as a Basic header, which the platform redacts like the secret's.
        assert.isTrue(fullUrls.every((url) => url.startsWith(`http://${baseUrl.host}/v1/vault/connections`)), fullUrls[0])
        assert.sameMembers([...new Set(requests.map((span) => attribute(span.attributes, "http.response.status_code")))], [200, 429])
        for (const header of ["x-pica-secret", "authorization"]) {
          assert.isTrue(requests.every((span) => attribute(span.attributes, `http.request.header.${header}`) === "<redacted>"), header)
        }
        const retried = named("PicaClient.listConnections").filter((span) => attribute(span.attributes, "pica.retry.kind") !== undefined)
        assert.strictEqual(retried.length, 1)
        assert.strictEqual(attribute(retried[0]!.attributes, "pica.retry.kind"), "rate-limit")

        const everything = otlp.received.map((request) => JSON.stringify(request.headers) + request.body).join("\n")
        for (const value of [secret, envToken, flagToken, notifySecret, urlPassword]) {
          assert.notInclude(everything, value)
          assert.notInclude(everything, value.slice(-24))
        }
        assert.isTrue(imports.loaded().some((url) => openTelemetryModule.test(url)))
      }),
    60_000
  )

  it.scopedLive("without the variable (or with OTEL_SDK_DISABLED), nothing is sent and no OpenTelemetry module is even loaded", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 30, seed: 72 })
      const otlp = yield* collector
      const dir = yield* tempDir
      for (const otel of [{}, { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SDK_DISABLED: "true" }]) {
        const imports = withImportsRecorded(yield* tempDir)
        const cli = yield* spawnCli(["sync", "--db", join(dir, "mirror.db")], {
          ...apiEnv(mock),
          OTEL_SERVICE_NAME: "picasync-test",
          ...otel,
          ...imports.env
        }, { sources: true })
        assert.strictEqual(yield* cli.exitCode, 0, cli.stderr())
        const loaded = imports.loaded()
        // The recording works: the CLI library was seen loading.
        assert.isTrue(loaded.some((url) => url.includes("/@effect/cli/")), JSON.stringify(otel))
        assert.deepStrictEqual(loaded.filter((url) => openTelemetryModule.test(url)), [], JSON.stringify(otel))
      }
      assert.deepStrictEqual(otlp.received, [])
    }), 60_000)

  it("redacts the secrets it is given, credentials in URLs and tokens in query strings", () => {
    const clean = redact(["sk_live_abc123", "jwt.token.value"])
    assert.strictEqual(clean("x-pica-secret: sk_live_abc123"), "x-pica-secret: ***")
    assert.strictEqual(clean("failed with jwt.token.value"), "failed with ***")
    assert.strictEqual(clean("https://user:pass@hooks.example.com/x"), "https://***@hooks.example.com/x")
    assert.strictEqual(clean("libsql://db.example.com?authToken=abc&tls=1"), "libsql://db.example.com?authToken=***&tls=1")
    assert.strictEqual(clean("token=abc&page=2"), "token=***&page=2")
    assert.strictEqual(clean("http://127.0.0.1:4318/v1/traces?limit=100&page=2"), "http://127.0.0.1:4318/v1/traces?limit=100&page=2")
  })
})
