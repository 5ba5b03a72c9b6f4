/**
 * `1234567.8912` → `"1,234,567.891"`, as `Intl.NumberFormat("en-US")` writes a number, without it: Node builds
 * ICU's number formats when the first one is made, about 20 ms of a command's start.
 */
export const thousands = (value: number): string => {
  const rounded = Math.round(Math.abs(value) * 1000) / 1000
  // Past 2^53 and in exponent notation there are no digits to group; counts never get there.
  if (!Number.isSafeInteger(Math.trunc(rounded))) return String(value)
  const [whole = "", fraction] = String(rounded).split(".")
  const sign = value < 0 || Object.is(value, -0) ? "-" : ""
  return `${sign}${whole.replace(/\B(?=(\d{3})+$)/g, ",")}${fraction === undefined ? "" : `.${fraction}`}`
}
