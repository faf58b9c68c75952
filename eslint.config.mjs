import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Import direction: edges (functions, cli) -> engine -> domain; adapters implement the engine's ports.
// An arrow back up, or from the product (src/) into the development tools (tools/*), fails `npm run lint`. The
// tools may import the product's domain; the CLI finds them at run time only through src/cli/devTools.ts.
const layer = (files, forbidden, message) => ({
  files,
  rules: {
    "no-restricted-imports": ["error", { patterns: forbidden.map((group) => ({ group: [group], message })) }],
  },
});
const TOOLS = ["**/tools/**", "@importexport-janitor/*"];

export default tseslint.config(
  { ignores: ["dist/**", "dist-bundle/**", "node_modules/**", ".azurite/**", ".janitor/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        URL: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
        require: "readonly",
        module: "writable",
        __dirname: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    ...layer(["src/**/*.ts"], TOOLS, "the product imports no development tool (tools/*)"),
    ignores: ["src/cli/devTools.ts"],
  },
  layer(
    ["src/domain/**/*.ts"],
    [
      "**/engine/**",
      "**/adapters/**",
      "**/functions/**",
      "**/cli/**",
      "**/settings/**",
      "@azure/*",
      ...TOOLS,
    ],
    "the domain is pure: it imports no engine, adapter, edge, SDK or tool",
  ),
  layer(
    ["src/engine/**/*.ts"],
    ["**/adapters/**", "**/functions/**", "**/cli/**", "**/composition", "@azure/*", ...TOOLS],
    "the engine depends on its ports, never on adapters, edges, SDKs or tools",
  ),
  layer(
    ["src/adapters/**/*.ts"],
    [
      "**/functions/**",
      "**/cli/**",
      "**/composition",
      "**/engine/janitorEngine",
      "**/engine/sweep*",
      ...TOOLS,
    ],
    "adapters implement the engine's ports; they import no edge, engine internals or tool",
  ),
  layer(
    ["src/functions/**/*.ts"],
    ["**/cli/**", ...TOOLS],
    "the Functions edge imports no CLI and no development tool",
  ),
);
