// The emulator package's entry: what the CLI's `emulator` command and `--emulator` flag load at run time, and what
// other tools use. Tests and benchmarks in this repository may import the modules directly.
export { startEmulator, type EmulatorOptions, type RunningEmulator } from "./server";
export { parseSeed, type EmulatorSeed } from "./seed";
export { DEMO_POLICY_JSON } from "./demoPolicy";
export { EmulatorControlClient } from "./controlClient";
