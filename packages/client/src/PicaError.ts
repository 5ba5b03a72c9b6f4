import * as Schema from "effect/Schema"

/** What every failure of a request carries: never a header, so never the secret. */
const requestFields = {
  method: Schema.String,
  url: Schema.String,
  status: Schema.optional(Schema.Number),
  serverCode: Schema.optional(Schema.Number),
  serverMessage: Schema.optional(Schema.String),
  attempts: Schema.Number
}

const where = (error: { readonly method: string; readonly url: string; readonly status?: number | undefined }) =>
  `${error.method} ${error.url}${error.status === undefined ? "" : ` answered ${error.status}`}`

const saying = (error: { readonly serverMessage?: string | undefined }) =>
  error.serverMessage === undefined ? "" : ` ("${error.serverMessage}")`

const afterAttempts = (attempts: number) => (attempts > 1 ? ` after ${attempts} attempts` : "")

/** 401 or 403: the secret is missing, unknown or revoked, or may not touch this connection. */
export class PicaAuthError extends Schema.TaggedError<PicaAuthError>()("PicaAuthError", requestFields) {
  override get message() {
    return `${where(this)}${saying(this)}: check that PICA_SECRET_KEY is a current secret for this environment and may access this resource`
  }
}

/** 404: the connection id or the route does not exist. */
export class PicaNotFoundError extends Schema.TaggedError<PicaNotFoundError>()("PicaNotFoundError", requestFields) {
  override get message() {
    return `${where(this)}${saying(this)}: the connection or route does not exist; check the id and the base URL`
  }
}

/** A 4xx other than 401/403/404/405/408/429, or parameters refused before any request was sent. */
export class PicaBadRequestError extends Schema.TaggedError<PicaBadRequestError>()("PicaBadRequestError", {
  ...requestFields,
  field: Schema.optional(Schema.String),
  reason: Schema.optional(Schema.String)
}) {
  override get message() {
    return this.field === undefined
      ? `${where(this)}${saying(this)}: the request was refused as malformed; check the parameters`
      : `invalid parameter "${this.field}" for ${this.method} ${this.url}: ${this.reason ?? "malformed"}; no request was sent`
  }
}

/** 429 still answered once the retry budget was spent. */
export class PicaRateLimitError extends Schema.TaggedError<PicaRateLimitError>()("PicaRateLimitError", {
  ...requestFields,
  /** What `Retry-After` asked for (a proxy's; the real service sends none). */
  retryAfterMillis: Schema.optional(Schema.Number),
  /** What the reset header stands for: the real service always says its whole window, 60 s. */
  resetMillis: Schema.optional(Schema.Number)
}) {
  override get message() {
    const asked = this.retryAfterMillis ?? this.resetMillis
    const wait = asked === undefined ? "" : `; the server asks to wait ${Math.ceil(asked / 1000)} s`
    return `${where(this)}${afterAttempts(this.attempts)}: rate limit exceeded${wait}; retry later or lower the concurrency`
  }
}

/** 5xx still answered once the retry budget was spent. */
export class PicaServerError extends Schema.TaggedError<PicaServerError>()("PicaServerError", requestFields) {
  override get message() {
    return `${where(this)}${afterAttempts(this.attempts)}${saying(this)}: the Pica API is failing; retry later`
  }
}

/** No usable answer: connection refused or reset, a body cut off, a per-attempt timeout. */
export class PicaTransportError extends Schema.TaggedError<PicaTransportError>()("PicaTransportError", {
  ...requestFields,
  reason: Schema.String
}) {
  override get message() {
    return `${this.method} ${this.url} failed${afterAttempts(this.attempts)}: ${this.reason}; check the base URL and the network`
  }
}

/** 405 or 501: this deployment does not serve the route (the open-source backend has no GET by id). */
export class PicaUnsupportedError extends Schema.TaggedError<PicaUnsupportedError>()("PicaUnsupportedError", requestFields) {
  override get message() {
    return `${where(this)}${saying(this)}: this Pica deployment does not support the operation; use another way to get the same answer`
  }
}

/** A body that is not JSON, or JSON that does not match the expected shape. */
export class PicaDecodeError extends Schema.TaggedError<PicaDecodeError>()("PicaDecodeError", {
  ...requestFields,
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${where(this)} with a body the client cannot read at ${this.path}: ${this.reason}; the API may have changed, report it with this line`
  }
}

/**
 * The service was answered by a local mirror of the API (`@picasync/sync`'s `MirrorPicaClient`) that could
 * not answer: it is read-only, holds no sync of the source, or its database or its sync failed.
 */
export class PicaMirrorError extends Schema.TaggedError<PicaMirrorError>()("PicaMirrorError", {
  /** The request the mirror stood in for; its `url` starts `mirror:`, and `attempts` is 0. */
  ...requestFields,
  kind: Schema.Literal("read-only", "several-sources", "never-synced", "database", "sync"),
  /** What happened and what to do, in one line. */
  reason: Schema.String,
  /** The database's or the sync's own error, for `kind` `database` and `sync`. */
  cause: Schema.optional(Schema.Defect)
}) {
  override get message() {
    return `${this.method} ${this.url}: ${this.reason}`
  }
}

export const PicaError = Schema.Union(
  PicaAuthError,
  PicaNotFoundError,
  PicaBadRequestError,
  PicaUnsupportedError,
  PicaRateLimitError,
  PicaServerError,
  PicaTransportError,
  PicaDecodeError,
  PicaMirrorError
)
export type PicaError = typeof PicaError.Type

/** Failures worth another attempt: rate limits, 408 and 5xx answers, transport faults and timeouts. */
export const isTransient = (error: PicaError): boolean =>
  error._tag === "PicaRateLimitError" || error._tag === "PicaServerError" || error._tag === "PicaTransportError"
