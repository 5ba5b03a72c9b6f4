import { describe, expect, it } from "vitest"
import { thousands } from "../src/Thousands.js"

describe("thousands", () => {
  const intl = new Intl.NumberFormat("en-US")

  it("writes numbers as Intl.NumberFormat(\"en-US\") does", () => {
    const values = [0, 7, 999, 1000, 99_490, 100_000, 1_234_567, 994_900, -1, -1234, 12.5, 1234.5678, 0.0004, -0.0004, -0, 2 ** 52]
    for (const value of values) expect(thousands(value), String(value)).toBe(intl.format(value))
  })

  it("leaves what has no digits to group as JavaScript writes it", () => {
    expect(thousands(Number.NaN)).toBe("NaN")
    expect(thousands(Number.POSITIVE_INFINITY)).toBe("Infinity")
    expect(thousands(1e21)).toBe("1e+21")
  })
})
