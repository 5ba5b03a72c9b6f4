/**
 * Flat one-byte strings built through a scratch buffer. A million template-literal
 * ids and keys would otherwise be rope strings several times their own size.
 */
const scratch = Buffer.allocUnsafe(1024)

/** Concatenates ASCII `parts` into one flat string. */
export const join = (...parts: ReadonlyArray<string>): string => {
  let length = 0
  for (const part of parts) {
    // A byte loop beats Buffer#write for strings this short.
    for (let i = 0; i < part.length; i++) scratch[length++] = part.charCodeAt(i)
  }
  return scratch.toString("latin1", 0, length)
}

/** Lowercase hex of `words` 32-bit values, with `-` inserted before the given character offsets. */
export const hex = (words: ReadonlyArray<number>, dashesBefore: ReadonlyArray<number> = []): string => {
  let length = 0
  let nextDash = 0
  let digits = 0
  for (const word of words) {
    for (let shift = 28; shift >= 0; shift -= 4) {
      if (digits === dashesBefore[nextDash]) {
        scratch[length++] = 45
        nextDash++
      }
      const nibble = (word >>> shift) & 15
      // `0`-`9` from 48, `a`-`f` from 97.
      scratch[length++] = nibble < 10 ? 48 + nibble : 87 + nibble
      digits++
    }
  }
  return scratch.toString("latin1", 0, length)
}

// Its own buffer: the cached date part must survive the other builders.
const timestamp = Buffer.allocUnsafe(27)
let cachedDay = Number.NaN

/** `2025-07-19T16:19:29.702632Z` from integer microseconds since the epoch. */
export const isoMicros = (micros: number): string => {
  const day = Math.floor(micros / 86_400_000_000)
  if (day !== cachedDay) {
    // Only the date part needs the calendar; it changes rarely between consecutive rows.
    timestamp.write(new Date(day * 86_400_000).toISOString().slice(0, 11), 0, "latin1")
    cachedDay = day
  }
  let rest = micros - day * 86_400_000_000
  const fraction = rest % 1_000_000
  rest = (rest - fraction) / 1_000_000
  twoDigits(Math.floor(rest / 3600), 11)
  timestamp[13] = 58
  twoDigits(Math.floor(rest / 60) % 60, 14)
  timestamp[16] = 58
  twoDigits(rest % 60, 17)
  timestamp[19] = 46
  timestamp.write(String(fraction).padStart(6, "0"), 20, "latin1")
  timestamp[26] = 90
  return timestamp.toString("latin1", 0, 27)
}

const twoDigits = (value: number, at: number): void => {
  timestamp[at] = 48 + Math.floor(value / 10)
  timestamp[at + 1] = 48 + (value % 10)
}
