import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * An option's help as every option says it: its kind in the usage (`--db-timeout duration`), then what it does,
 * its default and the variable that sets it.
 */
export const described = (
  kind: string | undefined,
  text: string,
  about: { readonly default?: string | number | undefined; readonly env?: string | undefined } = {}
) =>
<A>(option: Options.Options<A>): Options.Options<A> => {
  const trailer = [
    about.default === undefined ? [] : [`Default: ${about.default}.`],
    about.env === undefined ? [] : [`Env: ${about.env}.`]
  ].flat()
  const described = Options.withDescription(option, [text.endsWith(".") ? text : `${text}.`, ...trailer].join(" "))
  return kind === undefined ? described : Options.withPseudoName(described, kind)
}

/**
 * The value of a flag's old spelling when it was given, with a one-line notice on stderr naming the
 * new one; else `current`, the new flag's value.
 */
export const preferringOld = <A>(old: Option.Option<A>, oldName: string, newName: string, current: A) =>
  Option.match(old, {
    onNone: () => Effect.succeed(current),
    onSome: (value) => Effect.as(Console.error(`picasync: ${oldName} is deprecated and will go; use ${newName}`), value)
  })

/** An old spelling kept working, marked in the help as what it is. */
export const deprecatedHelp = (newName: string) => `Deprecated: use ${newName}`
