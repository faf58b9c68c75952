// The import direction is enforced by the lint config, not hoped for: planted back-arrows fail it.
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: process.cwd() });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("import direction", () => {
  it("refuses the domain importing the engine, an adapter or an SDK", async () => {
    expect(
      await problems("src/domain/planted.ts", 'import type { AuditStore } from "../engine/ports";\n'),
    ).toHaveLength(1);
    expect(
      await problems("src/domain/planted.ts", 'import { x } from "../adapters/storage";\n'),
    ).toHaveLength(1);
    expect(
      await problems("src/domain/planted.ts", 'import { TableClient } from "@azure/data-tables";\n'),
    ).toHaveLength(1);
  });

  it("refuses the engine importing an adapter or an edge, and the product importing the tools", async () => {
    expect(await problems("src/engine/planted.ts", 'import { x } from "../adapters/arm";\n')).toHaveLength(1);
    expect(
      await problems("src/engine/planted.ts", 'import { x } from "../functions/appContext";\n'),
    ).toHaveLength(1);
    expect(
      await problems("src/functions/planted.ts", 'import { x } from "../../tools/emulator/src/server";\n'),
    ).toHaveLength(1);
    expect(
      await problems(
        "src/cli/planted.ts",
        'import { x } from "../../tools/local-functions-host/src/host";\n',
      ),
    ).toHaveLength(1);
    expect(
      await problems("src/cli/commands/planted.ts", 'import { x } from "@importexport-janitor/emulator";\n'),
    ).toHaveLength(1);
    expect(
      await problems("src/adapters/planted.ts", 'import { x } from "../engine/janitorEngine";\n'),
    ).toHaveLength(1);
  });

  it("allows the arrows that run the right way", async () => {
    expect(
      await problems("src/engine/planted.ts", 'import { decideJob } from "../domain/decideJob";\n'),
    ).toEqual([]);
    expect(
      await problems("src/adapters/planted.ts", 'import type { JobsGateway } from "../engine/ports";\n'),
    ).toEqual([]);
  });
});
