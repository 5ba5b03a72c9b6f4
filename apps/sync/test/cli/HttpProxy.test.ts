import { assert, describe, it } from "@effect/vitest"
import { PicaClient } from "@picasync/client"
import { MockPica } from "@picasync/mock"
import { Cause, ConfigProvider, Effect, Exit, Layer, Logger, LogLevel, Redacted } from "effect"
import * as http from "node:http"
import * as net from "node:net"
import { inspect } from "node:util"
import { httpClientLayer } from "../../src/cli/HttpProxy.js"

const PASSWORD = "pr0xy-s3cret"
const TIMEOUT = 20_000

interface Sighting {
  readonly method: string
  /** The absolute URL of a forwarded request, or `host:port` of a CONNECT. */
  readonly target: string
  readonly authorization: string | undefined
}

interface Proxy {
  readonly url: string
  readonly seen: ReadonlyArray<Sighting>
}

/**
 * A forwarding HTTP proxy on loopback: absolute-form requests are forwarded, CONNECT is tunnelled.
 * With `credentials` (`user:pass`) it answers 407 to a request without them, as a company proxy does.
 */
const startProxy = (credentials?: string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: http.Server; readonly proxy: Proxy }>((resume) => {
      const seen: Array<Sighting> = []
      const expected = credentials === undefined ? undefined : `Basic ${Buffer.from(credentials).toString("base64")}`
      const allowed = (request: http.IncomingMessage) => {
        const authorization = request.headers["proxy-authorization"]
        seen.push({ method: request.method!, target: request.url!, authorization })
        return expected === undefined || authorization === expected
      }
      const server = http.createServer((request, response) => {
        if (!allowed(request)) return void response.writeHead(407, { "proxy-authenticate": "Basic realm=\"test\"" }).end()
        const { "proxy-authorization": _, "proxy-connection": __, ...headers } = request.headers
        const upstream = http.request(request.url!, { method: request.method!, headers }, (answer) => {
          response.writeHead(answer.statusCode!, answer.headers)
          answer.pipe(response)
        })
        upstream.on("error", () => response.writeHead(502).end())
        request.pipe(upstream)
      })
      server.on("connect", (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
        socket.on("error", () => socket.destroy())
        if (!allowed(request)) return void socket.end("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
        const [host, port] = request.url!.split(":")
        const upstream = net.connect(Number(port), host!, () => {
          socket.write("HTTP/1.1 200 Connection Established\r\n\r\n")
          upstream.write(head)
          upstream.pipe(socket)
          socket.pipe(upstream)
        })
        upstream.on("error", () => socket.destroy())
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo
        resume(Effect.succeed({ server, proxy: { url: `http://127.0.0.1:${port}`, seen } }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ proxy }) => proxy))

/** A loopback port nothing listens on. */
const deadPort = Effect.async<number>((resume) => {
  const server = net.createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address() as net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

const withCredentials = (proxyUrl: string) => proxyUrl.replace("http://", `http://alice:${PASSWORD}@`)

/** One page from `baseUrl` through the client, over `httpClientLayer` built from `env`; every log line kept. */
const listPage = (env: Record<string, string>, mock: MockPica.MockPicaServer, baseUrl = mock.url) =>
  Effect.gen(function*() {
    const logs: Array<string> = []
    const client = PicaClient.layer({ secretKey: Redacted.make(mock.secret), baseUrl, maxRetries: 0, requestTimeout: "5 seconds" })
    const exit = yield* Effect.flatMap(PicaClient, (pica) => pica.listConnections({ limit: 5 })).pipe(
      Effect.provide(Layer.provide(client, httpClientLayer)),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => logs.push(inspect(message, { depth: 10 }))))),
      Logger.withMinimumLogLevel(LogLevel.All),
      Effect.exit
    )
    return { exit, logs }
  })

/** Everything a failure could show a user: its message, the pretty cause, every nested field. */
const everythingShown = (exit: Exit.Exit<unknown, unknown>, logs: ReadonlyArray<string>) =>
  Exit.isFailure(exit)
    ? [String(Cause.squash(exit.cause)), Cause.pretty(exit.cause), inspect(exit.cause, { depth: 20 }), ...logs].join("\n")
    : logs.join("\n")

describe("httpClientLayer", () => {
  it.scopedLive("with HTTP_PROXY set, requests to a loopback API go through the proxy", () =>
    Effect.gen(function*() {
      const mock = yield* MockPica.start({ count: 12 })
      const proxy = yield* startProxy()
      const { exit } = yield* listPage({ HTTP_PROXY: proxy.url }, mock)
      assert.isTrue(Exit.isSuccess(exit), String(exit))
      assert.deepStrictEqual(proxy.seen.map((seen) => [seen.method, seen.target.split("?")[0]]), [
        ["GET", `${mock.url}/v1/vault/connections`]
      ])
      assert.lengthOf(yield* mock.requests, 1)
    }), TIMEOUT)

  it.scopedLive("the lowercase spelling wins, and a proxy written without a scheme is an http:// proxy", () =>
    Effect.gen(function*() {
      const mock = yield* MockPica.start({ count: 3 })
      const proxy = yield* startProxy()
      const dead = yield* deadPort
      const { exit } = yield* listPage({ http_proxy: proxy.url.replace("http://", ""), HTTP_PROXY: `http://127.0.0.1:${dead}` }, mock)
      assert.isTrue(Exit.isSuccess(exit), String(exit))
      assert.lengthOf(proxy.seen, 1)
    }), TIMEOUT)

  it.scopedLive("the variables are read through the ConfigProvider alone: undici never reads process.env behind it", () =>
    Effect.gen(function*() {
      const mock = yield* MockPica.start({ count: 3 })
      const proxy = yield* startProxy()
      const dead = yield* deadPort
      const saved = { ...process.env }
      yield* Effect.addFinalizer(() => Effect.sync(() => void (process.env = saved)))
      Object.assign(process.env, { http_proxy: `http://127.0.0.1:${dead}`, NO_PROXY: "*", no_proxy: "*" })
      const { exit } = yield* listPage({ HTTP_PROXY: proxy.url }, mock)
      assert.isTrue(Exit.isSuccess(exit), String(exit))
      assert.lengthOf(proxy.seen, 1)
    }), TIMEOUT)

  it.scopedLive("a host NO_PROXY covers is reached directly; no proxy variable means no proxy", () =>
    Effect.gen(function*() {
      const mock = yield* MockPica.start({ count: 3 })
      const proxy = yield* startProxy()
      for (const noProxy of ["127.0.0.1", `127.0.0.1:${mock.port}`, "localhost,127.0.0.1", "*"]) {
        const { exit } = yield* listPage({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: noProxy }, mock)
        assert.isTrue(Exit.isSuccess(exit), `${noProxy}: ${exit}`)
      }
      const lowercase = yield* listPage({ http_proxy: proxy.url, no_proxy: "127.0.0.1" }, mock)
      assert.isTrue(Exit.isSuccess(lowercase.exit), String(lowercase.exit))
      // A NO_PROXY entry for another port, or only HTTPS_PROXY for an http:// API, leaves nothing to bypass.
      const none = yield* listPage({ NO_PROXY: "127.0.0.1", HTTPS_PROXY: proxy.url }, mock)
      assert.isTrue(Exit.isSuccess(none.exit), String(none.exit))
      assert.deepStrictEqual(proxy.seen, [])
      const otherPort = yield* listPage({ HTTP_PROXY: proxy.url, NO_PROXY: `127.0.0.1:${mock.port + 1}` }, mock)
      assert.isTrue(Exit.isSuccess(otherPort.exit), String(otherPort.exit))
      assert.lengthOf(proxy.seen, 1)
      assert.lengthOf(yield* mock.requests, 7)
    }), TIMEOUT)

  it.scopedLive("a proxy's credentials go in Proxy-Authorization and nowhere else", () =>
    Effect.gen(function*() {
      const mock = yield* MockPica.start({ count: 3 })
      const proxy = yield* startProxy(`alice:${PASSWORD}`)
      const { exit, logs } = yield* listPage({ HTTPS_PROXY: withCredentials(proxy.url), HTTP_PROXY: withCredentials(proxy.url) }, mock)
      assert.isTrue(Exit.isSuccess(exit), String(exit))
      assert.strictEqual(proxy.seen[0]?.authorization, `Basic ${Buffer.from(`alice:${PASSWORD}`).toString("base64")}`)
      assert.notInclude(everythingShown(exit, logs), PASSWORD)
      const upstream = (yield* mock.requests)[0]
      assert.notInclude(JSON.stringify(upstream), PASSWORD)

      const refused = yield* listPage({ HTTP_PROXY: proxy.url.replace("http://", "http://alice:wrong-s3cret@") }, mock)
      assert.isTrue(Exit.isFailure(refused.exit))
      assert.notInclude(everythingShown(refused.exit, refused.logs), "wrong-s3cret")
      assert.lengthOf(yield* mock.requests, 1)
    }), TIMEOUT)

  it.scopedLive("a proxy that cannot be reached fails the request, which never goes direct, and its password stays hidden", () =>
    Effect.gen(function*() {
      const mock = yield* MockPica.start({ count: 3 })
      const dead = yield* deadPort
      const { exit, logs } = yield* listPage({ HTTP_PROXY: `http://alice:${PASSWORD}@127.0.0.1:${dead}` }, mock)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual((Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as { _tag: string })._tag, "PicaTransportError")
      assert.notInclude(everythingShown(exit, logs), PASSWORD)
      assert.lengthOf(yield* mock.requests, 0)
    }), TIMEOUT)

  it.scopedLive("an https:// API is reached through a CONNECT tunnel to HTTPS_PROXY", () =>
    Effect.gen(function*() {
      const mock = yield* MockPica.start({ count: 3 })
      const proxy = yield* startProxy(`alice:${PASSWORD}`)
      // The mock speaks plain HTTP, so the TLS handshake inside the tunnel fails; the tunnel is what is checked.
      const { exit, logs } = yield* listPage({ HTTPS_PROXY: withCredentials(proxy.url) }, mock, mock.url.replace("http://", "https://"))
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(proxy.seen.map((seen) => [seen.method, seen.target]), [["CONNECT", `127.0.0.1:${mock.port}`]])
      assert.strictEqual(proxy.seen[0]?.authorization, `Basic ${Buffer.from(`alice:${PASSWORD}`).toString("base64")}`)
      assert.notInclude(everythingShown(exit, logs), PASSWORD)
    }), TIMEOUT)

  it.scopedLive("a proxy variable that is not an http(s) URL is a configuration error naming it, not its value", () =>
    Effect.gen(function*() {
      const mock = yield* MockPica.start({ count: 3 })
      const { exit } = yield* listPage({ HTTPS_PROXY: `socks5://alice:${PASSWORD}@127.0.0.1:1080` }, mock)
      assert.isTrue(Exit.isFailure(exit))
      const shown = everythingShown(exit, [])
      assert.include(shown, "HTTPS_PROXY must be an http:// or https:// proxy URL")
      assert.notInclude(shown, PASSWORD)
      assert.lengthOf(yield* mock.requests, 0)
    }), TIMEOUT)
})
