#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm run build`, which `npm test`/`npm start` run).
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const entry = path.join(__dirname, "..", "dist", "src", "cli", "main.js");
if (!fs.existsSync(entry)) {
  process.stderr.write(
    "ie-janitor: not built yet. Run `npm run build` in " + path.join(__dirname, "..") + "\n",
  );
  process.exit(2);
}
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`ie-janitor: ${err && err.message ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
