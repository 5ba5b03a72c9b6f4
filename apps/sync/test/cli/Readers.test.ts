import { assert, describe, it } from "@effect/vitest"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as ReaderCommands from "../../src/cli/ReaderCommands.js"
import * as Readers from "../../src/cli/Readers.js"

// The commands' parsed types differ; only their names matter here.
const namesOf = (descriptor: Descriptor.Command<any>) => [...Descriptor.getNames(descriptor)]

describe("Readers", () => {
  it("the bin sends to the readers' bundle exactly the commands it holds", () => {
    const held = Readers.commands.flatMap((command) => namesOf(command.descriptor))
    assert.deepStrictEqual(held.sort(), [...ReaderCommands.names].sort())
  })
})
