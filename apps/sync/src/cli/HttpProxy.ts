import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as UndiciModule from "undici"
import * as Undici from "./Undici.js"
import { UsageError } from "./UsageError.js"

/**
 * The first non-empty of `name` in lowercase, then as given: undici's and curl's order. A value without a
 * scheme (`proxy.corp:3128`) is an http:// proxy, as curl reads it. It stays redacted: it may carry a
 * password, and a bad value is reported by the variable's name alone.
 */
const proxyUrl = (name: string) =>
  Config.all([Config.option(Config.redacted(name.toLowerCase())), Config.option(Config.redacted(name))]).pipe(
    Config.mapOrFail((values) => {
      const value = values.flatMap(Option.toArray).map(Redacted.value).find((text) => text.trim() !== "")?.trim()
      if (value === undefined) return Either.right(Option.none<Redacted.Redacted<string>>())
      const url = URL.parse(value.includes("://") ? value : `http://${value}`)
      return url !== null && (url.protocol === "http:" || url.protocol === "https:")
        ? Either.right(Option.some(Redacted.make(url.href)))
        : Either.left(ConfigError.InvalidData([name], `${name} must be an http:// or https:// proxy URL, e.g. http://proxy.example.com:3128`))
    })
  )

const noProxy = Config.all([Config.option(Config.string("no_proxy")), Config.option(Config.string("NO_PROXY"))]).pipe(
  Config.map((values) => values.flatMap(Option.toArray).find((text) => text.trim() !== "") ?? "")
)

const proxySettings = Config.all({ httpProxy: proxyUrl("HTTP_PROXY"), httpsProxy: proxyUrl("HTTPS_PROXY"), noProxy })

/**
 * Every variable is read once, here, and handed to undici explicitly (`""` for one that is unset), so the
 * agent never reads `process.env` itself: the routing is fixed for the whole run and follows the
 * `ConfigProvider`. Loopback is proxied like any host unless `NO_PROXY` names it (as curl does); http://
 * targets are forwarded to an http:// proxy as plain requests (curl's way; many proxies refuse CONNECT to
 * port 80), https:// targets go through a CONNECT tunnel. Without `HTTPS_PROXY`, undici sends https://
 * requests through `HTTP_PROXY`.
 */
const proxyDispatcher = (undici: typeof UndiciModule, settings: Config.Config.Success<typeof proxySettings>) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      new undici.EnvHttpProxyAgent({
        httpProxy: Option.match(settings.httpProxy, { onNone: () => "", onSome: Redacted.value }),
        httpsProxy: Option.match(settings.httpsProxy, { onNone: () => "", onSome: Redacted.value }),
        noProxy: settings.noProxy,
        proxyTunnel: false
      })
    ),
    (agent) => Effect.promise(() => agent.destroy())
  )

/**
 * The CLI's `HttpClient`: through the proxy that `HTTPS_PROXY` / `HTTP_PROXY` (or their lowercase
 * spellings) name, except for the hosts `NO_PROXY` lists (`host`, `host:port`, `.domain`, `*`), with the
 * proxy's credentials (`http://user:pass@proxy:3128`) sent as `Proxy-Authorization`. A proxy that cannot
 * be reached fails the request; it is never bypassed. Without a proxy variable, plain undici.
 */
export const httpClientLayer: Layer.Layer<HttpClient.HttpClient, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(
    proxySettings,
    (settings) =>
      Option.isNone(settings.httpProxy) && Option.isNone(settings.httpsProxy)
        ? Undici.plain
        : Undici.layer((nodeHttpClient, undici) =>
          Layer.provide(
            nodeHttpClient.layerUndiciWithoutDispatcher,
            Layer.scoped(nodeHttpClient.Dispatcher, proxyDispatcher(undici, settings))
          )
        )
  )
)

/** `httpClientLayer` for a command: a proxy variable that is not a URL is a usage error, named and never shown (it may hold a password). */
export const proxiedHttpClient: Layer.Layer<HttpClient.HttpClient, UsageError> = httpClientLayer.pipe(
  Layer.mapError((error) => new UsageError({ message: ConfigError.isInvalidData(error) ? error.message : String(error) }))
)
