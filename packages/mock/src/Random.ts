import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Ascii from "./Ascii.js"

/**
 * A seeded pseudo-random generator (sfc32), so one seed always yields the same
 * inventory and the same sequence of fault decisions.
 */
export interface Random {
  /** A float in [0, 1). */
  readonly next: () => number
  /** An integer in [0, bound). */
  readonly int: (bound: number) => number
  readonly pick: <A>(items: NonEmptyReadonlyArray<A>) => A
  /** `chars` lowercase hex digits, a multiple of 8. */
  readonly hex: (chars: number) => string
  /** A version-4 shaped UUID. */
  readonly uuid: () => string
}

export const make = (seed: number): Random => {
  let a = Math.imul(seed, 0x9e3779b1) >>> 0
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = (seed ^ 0xdeadbeef) >>> 0
  const uint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  // Discard the first outputs: sfc32 starts poorly mixed for small seeds.
  for (let i = 0; i < 16; i++) uint32()

  const next = () => uint32() / 4294967296
  const int = (bound: number) => Math.floor(next() * bound)
  const words = (count: number) => {
    const out = new Array<number>(count)
    for (let i = 0; i < count; i++) out[i] = uint32()
    return out
  }
  return {
    next,
    int,
    pick: (items) => at(items, next()),
    hex: (chars) => Ascii.hex(words(chars / 8)),
    uuid: () => {
      const a = uint32()
      const b = uint32()
      const c = uint32()
      const d = uint32()
      // Version 4 in the third group, variant 10xx in the fourth.
      return Ascii.hex([a, (b & 0xffff0fff) | 0x4000, (c & 0x3fffffff) | 0x80000000, d], [8, 12, 16, 20])
    }
  }
}

/** The item `fraction` (in [0, 1)) of the way through `items`; the first one stands in for an index the type cannot rule out. */
export const at = <A>(items: NonEmptyReadonlyArray<A>, fraction: number): A => items[Math.floor(fraction * items.length)] ?? items[0]
