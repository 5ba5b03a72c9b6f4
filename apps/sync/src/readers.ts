import { main } from "./cli/Readers.js"
import { runMain } from "./cli/Runner.js"

runMain(main)
