// The local Functions host package's entry: the host, the whole local stack (`npm start`) and the Azurite launcher
// the CLI's `--emulator` flag loads at run time.
export { startLocalHost, type LocalHost, type LocalHostOptions } from "./host";
export { startLocalStack, type LocalStack, type LocalStackOptions } from "./startLocal";
export { startAzurite, type AzuriteProcess, type AzuriteOptions } from "./azuriteProcess";
