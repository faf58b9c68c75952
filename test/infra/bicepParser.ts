// Parses Bicep offline: the Bicep CLI is a downloaded binary and cannot run here, so the templates are read
// with the tree-sitter grammar that the tree-sitter-bicep package ships as wasm, through web-tree-sitter.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Language, Parser, type Node } from "web-tree-sitter";

export interface BicepFile {
  /** Path relative to the templates' root folder, with forward slashes (for example `modules/x.bicep`). */
  readonly path: string;
  readonly text: string;
  readonly root: Node;
}

let parserPromise: Promise<Parser> | undefined;

/** One parser per process: loading the wasm grammar is the slow part. */
export function bicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const language = await Language.load(require.resolve("tree-sitter-bicep/tree-sitter-bicep.wasm"));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

/** Every `.bicep` file under `root`, keyed by its path relative to `root`. */
export function readBicepSources(root: string): Record<string, string> {
  const sources: Record<string, string> = {};
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith(".bicep")) {
        sources[path.relative(root, full).split(path.sep).join("/")] = readFileSync(full, "utf8");
      }
    }
  };
  visit(root);
  return sources;
}

export async function parseBicepSources(sources: Record<string, string>): Promise<BicepFile[]> {
  const parser = await bicepParser();
  return Object.entries(sources)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([filePath, text]) => {
      const tree = parser.parse(text);
      if (!tree) throw new Error(`tree-sitter returned no tree for ${filePath}`);
      return { path: filePath, text, root: tree.rootNode };
    });
}
