// The package's entry at run time: the repository's one tsc build (`npm run build` at the root) writes every
// workspace into the root's dist/. The types come from src/index.ts (package.json `types`).
"use strict";
module.exports = require("../../dist/tools/emulator/src/index.js");
