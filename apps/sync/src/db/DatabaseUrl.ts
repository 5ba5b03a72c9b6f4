import * as path from "node:path"

/** The file behind a `file:` URL, or undefined for a remote database. */
export const localPath = (url: string): string | undefined =>
  url.startsWith("file:")
    ? path.resolve(decodeURIComponent(url.slice("file:".length).replace(/^\/\/(localhost)?(?=\/)/, "").replace(/\?.*$/s, "")))
    : undefined

/**
 * The database's URL as messages may show it: a file's path, or a server's scheme, host and path,
 * without the user, password or query (`?authToken=…`) a user may have written into it.
 */
export const displayUrl = (url: string): string => {
  const file = localPath(url)
  if (file !== undefined) return file
  if (!URL.canParse(url)) return "(an unparsable database URL)"
  const parsed = new URL(url)
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`
}

/**
 * The Hrana endpoint and token behind a remote URL, as `@libsql/client` reads them: `libsql:` is
 * HTTPS (HTTP with `?tls=0`), and `?authToken=` stands in for a token not given apart.
 */
export const hranaEndpoint = (url: string, authToken: string | undefined) => {
  const parsed = new URL(url)
  const scheme = parsed.protocol === "libsql:" ? (parsed.searchParams.get("tls") === "0" ? "http:" : "https:") : parsed.protocol
  return {
    url: `${scheme}//${parsed.host}${parsed.pathname}`,
    websocket: scheme === "ws:" || scheme === "wss:",
    authToken: authToken ?? parsed.searchParams.get("authToken") ?? undefined
  }
}
