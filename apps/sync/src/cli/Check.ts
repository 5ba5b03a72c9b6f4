import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Check from "../Check.js"
import {
  asInterval,
  described,
  maxAgeFlag,
  readerFlags,
  readerOptions,
  sourceFilter,
  sourceFilterFlag,
  wholeNumberFlag
} from "./Flags.js"
import * as Mirror from "./Mirror.js"
import { write } from "./Output.js"
import { UsageError } from "./UsageError.js"

const formats = ["text", "json", "junit"] as const
type Format = (typeof formats)[number]

const options = {
  ...readerFlags,
  source: sourceFilterFlag,
  maxAge: maxAgeFlag("last-success-age fails when a source's newest successful sync is older than this"),
  maxFailing: wholeNumberFlag("max-failing", {
    default: 0,
    range: { min: 0 },
    text: "max-failing fails when more than this many live, active connections are in state failed"
  }),
  failingFor: Options.text("failing-for").pipe(
    Options.withDefault("7d"),
    asInterval("--failing-for"),
    described("duration", "failing-for fails when a live connection has been degraded, failed or unknown for longer than this (30m, 6h, 7d)", {
      default: "7d"
    })
  ),
  assert: Options.text("assert").pipe(
    Options.repeated,
    Options.withPseudoName("path"),
    Options.withDescription(
      "A file holding one read-only SQL statement; every row it returns is a violation. Repeatable; the check is named " +
        "after the file. SQL that is refused or fails fails its check; a file that cannot be read is a usage error"
    )
  ),
  format: Options.choice("format", formats).pipe(
    Options.withDefault("text"),
    described(undefined, "text (one PASS/FAIL line a check), json ({ ok, checks }) or junit (JUnit XML for CI)", { default: "text" })
  )
}

/** The assertion files, read before the mirror is opened: a file that cannot be read is a usage error. */
const readAssertions = (files: ReadonlyArray<string>) =>
  Effect.forEach(files, (file) =>
    Effect.try({
      try: () => fs.readFileSync(file, "utf8"),
      catch: (cause) =>
        new UsageError({ message: `--assert ${file} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}` })
    }).pipe(
      Effect.filterOrFail(
        (sql) => sql.trim() !== "",
        () => new UsageError({ message: `--assert ${file} is empty: it should hold one SELECT` })
      ),
      Effect.map((sql) => ({ name: path.basename(file, path.extname(file)), sql }))
    ))

const label = (check: Check.CheckResult) => check.source === undefined ? check.name : `${check.name} (${check.source})`

const text = (checks: ReadonlyArray<Check.CheckResult>) => {
  const failed = checks.filter((check) => !check.ok).length
  const lines = checks.map((check) => `${check.ok ? "PASS" : "FAIL"} ${label(check)}: ${check.detail}`)
  const summary = failed === 0
    ? `ok: ${checks.length} checks passed`
    : `FAILED: ${failed} of ${checks.length} checks failed`
  return `${[...lines, summary].join("\n")}\n`
}

const json = (checks: ReadonlyArray<Check.CheckResult>) =>
  `${JSON.stringify({ ok: checks.every((check) => check.ok), checks }, null, 2)}\n`

/** Text safe in an XML attribute or element: markup escaped, line breaks kept in attributes, characters XML forbids dropped. */
export const xml = (value: string) =>
  value
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll("\"", "&quot;")
    .replaceAll("'", "&apos;")
    .replaceAll("\n", "&#10;")
    .replaceAll("\r", "&#13;")
    .replaceAll("\t", "&#9;")

const junit = (checks: ReadonlyArray<Check.CheckResult>) => {
  const failed = checks.filter((check) => !check.ok).length
  const counts = `tests="${checks.length}" failures="${failed}" errors="0"`
  const cases = checks.map((check) => {
    const open = `    <testcase name="${xml(label(check))}" classname="picasync.check">`
    const body = check.ok
      ? `      <system-out>${xml(check.detail)}</system-out>`
      : `      <failure message="${xml(check.detail)}" type="${xml(check.name)}"/>`
    return `${open}\n${body}\n    </testcase>`
  })
  return [
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    `<testsuites name="picasync check" ${counts}>`,
    `  <testsuite name="picasync check" ${counts} skipped="0">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    ""
  ].join("\n")
}

const renderers: Record<Format, (checks: ReadonlyArray<Check.CheckResult>) => string> = { text, json, junit }

export const checkCommand = Command.make("check", options, (parsed) =>
  Effect.gen(function*() {
    const maxAge = yield* parsed.maxAge
    const failingFor = yield* parsed.failingFor
    const maxFailing = yield* parsed.maxFailing
    const source = yield* sourceFilter(parsed.source)
    const assertions = yield* readAssertions(parsed.assert)
    const database = yield* readerOptions(parsed)
    const now = yield* Clock.currentTimeMillis
    const checks = yield* Effect.gen(function*() {
      const builtIn = yield* Check.builtIn({
        now,
        source,
        maxAgeMillis: Duration.toMillis(maxAge),
        maxFailing,
        failingForMillis: Duration.toMillis(failingFor)
      })
      const asserted = yield* Effect.forEach(assertions, ({ name, sql }) => Check.assertion(name, sql))
      return [...builtIn, ...asserted]
    }).pipe(Effect.provide(Mirror.readable(database)))
    yield* write(renderers[parsed.format](checks))
    yield* Check.verdict(checks)
  })).pipe(
    Command.withDescription(
      "Health checks for cron and CI: the newest successful sync is recent, the last run did not fail, few connections " +
        "failed, none unhealthy for too long, and your own --assert queries return no rows. Exit 0 all pass, 1 any fails, " +
        "2 a usage error"
    )
  )
