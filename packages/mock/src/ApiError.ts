/** The JSON error bodies the API answers with: `{ type, code, status, key, message, meta }`. */
export interface ApiErrorBody {
  readonly type: string
  readonly code: number
  readonly status: number
  readonly key: string
  readonly message: string
  readonly meta: unknown
}

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
  code: 2040,
  status: 404,
  key: "err::application::not_found",
  message,
  meta: null
})

export const forbidden = (message: string): ApiErrorBody => ({
  type: "Forbidden",
  code: 2030,
  status: 403,
  key: "err::application::forbidden",
  message,
  meta: null
})

export const rateLimited: ApiErrorBody = {
  type: "TooManyRequests",
  code: 2029,
  status: 429,
  key: "err::application::rate_limit_exceeded",
  message: "Rate limit exceeded",
  meta: null
}

const internal: ApiErrorBody = {
  type: "InternalServerError",
  code: 5000,
  status: 500,
  key: "err::application::internal_server_error",
  message: "Internal server error",
  meta: null
}

/**
 * The body for any error status. Gateway faults (502, 504) carry the body of an
 * internal error saying 500, as the real service's do.
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
      return rateLimited
    case 503:
      return { ...internal, type: "ServiceUnavailable", code: 5030, status: 503, key: "err::application::service_unavailable", message: "Service unavailable" }
    default:
      return status === 502 || status === 504 ? internal : { ...internal, status }
  }
}

/** What a proxy in front of the API answers with when the upstream fails. */
export const htmlBadGateway =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
