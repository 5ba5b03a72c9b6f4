import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { type Output, Stdio } from "./Stdio.js"

/** Escape sequences of a terminal (colours, bold). */
const escapes = /\u001b\[[0-9;]*m/g

/** The CLI library's words about every option, which say nothing our descriptions do not: its kind, "optional", "from the environment". */
const boilerplate = [
  /^ {2}A user-defined piece of text( that is confidential)?\.\n\n/gm,
  /^ {2}(A true or false value|An integer|A file or directory|A file|An existing file)\.\n\n/gm,
  /^ {2}This option can be set from environment variables\.\n\n/gm,
  /^ {2}This setting is optional\.\n\n/gm
]

/** Colour only on a terminal, and never with `NO_COLOR` set (https://no-color.org). */
export const colour = (stream: Output) => stream.isTTY === true && (process.env.NO_COLOR ?? "") === ""

/**
 * The CLI library's help as a reader wants it: no escape codes unless `color`, no boilerplate, and
 * usage lines that name the program (`$ picasync sync`, where the library writes `$ sync`).
 */
export const tidy = (text: string, color: boolean): string => {
  const plain = color ? text : text.replace(escapes, "")
  // Each paragraph ends in a blank line, the last one too while the boilerplate goes.
  return boilerplate.reduce((out, line) => out.replace(line, ""), `${plain}\n\n`).replace(/\n+$/, "")
    .replace(/^(\S*)\$ (?!picasync\b)/gm, "$1$ picasync ")
}

/**
 * Runs `effect` (the CLI) with its console output tidied: help fully, anything else (the library's usage
 * errors) only stripped of escape codes off a terminal.
 */
export const tidied = (help: boolean) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.zip(Console.consoleWith(Effect.succeed), Stdio), ([console, stdio]) => {
    const through = (stream: Output) => (args: ReadonlyArray<unknown>) => {
      const color = colour(stream)
      return args.map((arg) => typeof arg !== "string" ? arg : help ? tidy(arg, color) : color ? arg : arg.replace(escapes, ""))
    }
    const out = through(stdio.stdout)
    const err = through(stdio.stderr)
    return Effect.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...out(args)),
      error: (...args) => console.error(...err(args)),
      unsafe: { ...console.unsafe, log: (...args) => console.unsafe.log(...out(args)), error: (...args) => console.unsafe.error(...err(args)) }
    })
  })
