/** What a credential is shown as wherever a message, log line or span would carry it. */
export const MASK = "***"

/** `scheme://user:password@` in any URL of a text. */
const userInfo = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']+@/gi
/** Query parameters that hold a token, as libSQL URLs do (`?authToken=…`). */
const secretNames = "auth_?token|access_?token|token|secret|password|api_?key"
const secretParameters = new RegExp(`((?:^|[?&])(?:${secretNames})=)[^&#\\s"']*`, "gim")
const secretParameter = new RegExp(`^(?:${secretNames})$`, "i")

/**
 * `text` with the user and password of every URL in it, and every token of a query string, shown as
 * `***`: for messages of other libraries, which print the URLs they were given whole.
 */
export const redact = (text: string): string => text.replace(userInfo, `$1${MASK}@`).replace(secretParameters, `$1${MASK}`)

const decoded = (text: string) => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The values in `url` no message may show, as written and decoded: its password and its query's tokens. */
export const secrets = (url: string): ReadonlyArray<string> => {
  const parsed = URL.parse(url)
  if (parsed === null) return []
  const tokens = [...parsed.searchParams].filter(([name]) => secretParameter.test(name)).map(([, value]) => value)
  return [parsed.password, decoded(parsed.password), ...tokens].filter((value) => value !== "")
}

/**
 * A URL without its user and password, and those as a Basic `Authorization` value (as curl sends them):
 * the URL can then appear in errors and spans, and the credentials only in a header that is redacted.
 */
export const split = (url: string): { readonly url: string; readonly authorization: string | undefined } => {
  const parsed = URL.parse(url)
  if (parsed === null || (parsed.username === "" && parsed.password === "")) return { url, authorization: undefined }
  const credentials = `${decoded(parsed.username)}:${decoded(parsed.password)}`
  parsed.username = ""
  parsed.password = ""
  return { url: parsed.href, authorization: `Basic ${Buffer.from(credentials).toString("base64")}` }
}
