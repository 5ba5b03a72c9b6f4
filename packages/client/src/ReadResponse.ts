import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import {
  PicaAuthError,
  PicaBadRequestError,
  PicaDecodeError,
  type PicaError,
  PicaNotFoundError,
  PicaRateLimitError,
  PicaServerError,
  PicaTransportError,
  PicaUnsupportedError
} from "./PicaError.js"
import { bodyIssue, type Issue } from "./ParseIssue.js"
import { resetMillis, retryAfter } from "./RateLimit.js"

/** Where an answer came from, as errors report it. */
export interface Attempt {
  readonly method: string
  readonly url: string
  readonly attempts: number
}

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
}

const parseJson = (body: string): Either.Either<unknown, string> => {
  try {
    return Either.right(JSON.parse(body))
  } catch {
    const start = body.trimStart().slice(0, 40).replace(/\s+/g, " ")
    return Either.left(body.trim() === "" ? "the body is empty" : `the body is not JSON (it starts "${start}")`)
  }
}

/** The server's own `message`/`code` when an error body is JSON that has them; proxies send HTML or nothing. */
const serverDetails = (body: string) => {
  const json = Either.getOrUndefined(parseJson(body))
  if (typeof json !== "object" || json === null) return {}
  const { code, error, message } = json as Record<string, unknown>
  const text = typeof message === "string" ? message : typeof error === "string" ? error : undefined
  return {
    ...(typeof code === "number" ? { serverCode: code } : {}),
    ...(text === undefined ? {} : { serverMessage: text })
  }
}

/** Maps a non-2xx answer to its error; the HTTP status decides, never the body's own `status`. */
export const statusError = (attempt: Attempt, answer: Answer, now: number): PicaError => {
  const fields = { ...attempt, status: answer.status, ...serverDetails(answer.body) }
  const { status } = answer
  if (status === 401 || status === 403) return new PicaAuthError(fields)
  if (status === 404) return new PicaNotFoundError(fields)
  if (status === 405 || status === 501) return new PicaUnsupportedError(fields)
  if (status === 408) return new PicaTransportError({ ...fields, reason: "the server timed out waiting for the request" })
  if (status === 429) {
    const retryAfterMillis = retryAfter(answer.headers, now)
    const reset = resetMillis(answer.headers, now)
    return new PicaRateLimitError({
      ...fields,
      ...(retryAfterMillis === undefined ? {} : { retryAfterMillis }),
      ...(reset === undefined ? {} : { resetMillis: reset })
    })
  }
  if (status >= 400 && status < 500) return new PicaBadRequestError(fields)
  if (status >= 500) return new PicaServerError(fields)
  return new PicaDecodeError({ ...fields, path: "status", reason: `unexpected status ${status}` })
}

/** Reads a 2xx body with `read`, which names the first offending field when it cannot. */
export const readBody = <A>(read: (json: unknown) => Either.Either<A, Issue>) =>
(attempt: Attempt, answer: Answer): Either.Either<A, PicaDecodeError> =>
  parseJson(answer.body).pipe(
    Either.mapLeft((reason) => ({ path: "body", reason })),
    Either.flatMap(read),
    Either.mapLeft(({ path, reason }) => new PicaDecodeError({ ...attempt, status: answer.status, path, reason }))
  )

/** Decodes a 2xx body against `schema`. */
export const decodeBody = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(schema)
  return readBody((json) => Either.mapLeft(decode(json), bodyIssue))
}
