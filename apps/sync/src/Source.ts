import * as Redacted from "effect/Redacted"

/**
 * Whose inventory a row belongs to: `live` or `test` from the secret's prefix, else `default`.
 * One database holds several sources side by side; a sync touches only its own.
 */
export const fromSecret = (secret: Redacted.Redacted<string>): string => {
  const value = Redacted.value(secret)
  return value.startsWith("sk_live_") ? "live" : value.startsWith("sk_test_") ? "test" : "default"
}

/** Letters, digits, `.`, `_` and `-`, so a source reads plainly in SQL and in messages. */
export const isValidName = (name: string): boolean => /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)
