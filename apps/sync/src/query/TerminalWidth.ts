/** East Asian wide and emoji code points take two terminal columns. */
const isWide = (code: number) =>
  (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3) ||
  (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) ||
  (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1f300 && code <= 0x1faff) || (code >= 0x20000 && code <= 0x3fffd)

const charWidth = (char: string) => (isWide(char.codePointAt(0) ?? 0) ? 2 : 1)

/** Text below U+1100 (surrogates included) is one column a character: its width is its length. */
const mayHaveWide = /[\u1100-\uffff]/

/** Terminal columns, so accented and CJK text lines up. */
export const width = (value: string) =>
  mayHaveWide.test(value) ? [...value].reduce((sum, char) => sum + charWidth(char), 0) : value.length

/** Cuts `value` to `max` columns, ending in an ellipsis; line breaks show as ⏎ to keep one row a line. */
export const fit = (value: string, max: number) => {
  const flat = value.replace(/\r?\n/g, "⏎")
  // ⏎ is one column: text that was narrow stays narrow.
  if (!mayHaveWide.test(value)) return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`
  if (width(flat) <= max) return flat
  let out = ""
  for (const char of flat) {
    if (width(out) + charWidth(char) > max - 1) break
    out += char
  }
  return `${out}…`
}
