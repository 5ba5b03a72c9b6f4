/** The JSON error bodies the API answers with: `{ type, code, status, key, message, meta }`. */
export interface ApiErrorBody {
  readonly type: string
  readonly code: number
  readonly status: number
  readonly key: string
  readonly message: string
  readonly meta: unknown
}

// Types, codes and keys as the open-source backend's `ApplicationError` serialises them.

export const unauthorized: ApiErrorBody = {
  type: "Unauthorized",
  code: 2010,
  status: 401,
  key: "err::application::unauthorized",
  message: "You are not authorized to access this resource",
  meta: null
}

export const badRequest = (message: string, meta: unknown = null): ApiErrorBody => ({
  type: "BadRequest",
  code: 2000,
  status: 400,
  key: "err::application::bad_request",
  message,
  meta
})

export const notFound = (message: string): ApiErrorBody => ({
  type: "NotFound",
  code: 2005,
  status: 404,
  key: "err::application::not_found",
  message,
  meta: null
})

export const forbidden = (message: string): ApiErrorBody => ({
  type: "Forbidden",
  code: 2002,
  status: 403,
  key: "err::application::forbidden",
  message,
  meta: null
})

export const tooManyRequests: ApiErrorBody = {
  type: "TooManyRequests",
  code: 2009,
  status: 429,
  key: "err::application::too_many_requests",
  message: "Rate limit exceeded",
  meta: null
}

export const internal: ApiErrorBody = {
  type: "InternalServerError",
  code: 2003,
  status: 500,
  key: "err::application::internal_server_error",
  message: "An unknown error occurred",
  meta: null
}

/** An unknown route or method: the router's fallback, not an `ApplicationError`. */
export const routeNotFound = { type: "error", error: "Not found" } as const

/**
 * The body for any error status. Every 5xx, gateway statuses included, carries
 * the internal error's body saying 500, as the real service's do.
 */
export const forStatus = (status: number): ApiErrorBody => {
  switch (status) {
    case 400:
      return badRequest("Bad request")
    case 401:
      return unauthorized
    case 403:
      return forbidden("Forbidden")
    case 404:
      return notFound("Not found")
    case 429:
      return tooManyRequests
    default:
      return status >= 500 ? internal : { ...internal, status }
  }
}

/** What a proxy in front of the API answers with when the upstream fails. */
export const htmlBadGateway =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
