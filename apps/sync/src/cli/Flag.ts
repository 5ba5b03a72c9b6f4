import * as Options from "@effect/cli/Options"

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
