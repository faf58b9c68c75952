// Vitest setup file: before a test file that runs the built app (it names `dist/src/...` or `dist/tools/...`, `bin/ie-janitor.js`
// or uses `appBuilt`) is loaded, bring dist/ up to date, so its own "is it built?" checks always see a fresh
// build; a failed build fails that file with tsc's messages. Other files pay nothing.
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { ensureBuilt } from "./build";

const RUNS_THE_BUILD = /dist\/(src|tools)\/|bin\/ie-janitor\.js|\bappBuilt\b/;

const testPath = expect.getState().testPath;
if (testPath !== undefined && RUNS_THE_BUILD.test(readFileSync(testPath, "utf8"))) ensureBuilt();
