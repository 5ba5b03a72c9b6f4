import { main } from "./cli/Main.js"
import { runMain } from "./cli/Runner.js"

runMain(main)
