import { z } from "zod";
import { ValidationError } from "../../errors";
import { policySchema } from "../../domain/policy";
import { loadPolicy } from "../../domain/policy/loadPolicy";
import { readPolicy } from "../../composition";
import { EXIT, type CliIO } from "../io";

export interface PolicyCommandArgs {
  sub: "validate" | "show" | "schema";
  /** `policy validate FILE`. */
  file?: string;
}

/**
 * `ie-janitor policy validate FILE`: "valid" and the policy hash on stdout (exit 0), or every problem by path on
 * stderr (exit 2). `ie-janitor policy show`: the effective policy, its hash and where it came from, as one JSON
 * document on stdout, read as the app reads it (`readPolicy`: `JANITOR_POLICY` inline JSON, else
 * `JANITOR_POLICY_PATH`, else the built-in default). `ie-janitor policy schema`: the policy's JSON Schema (draft 2020-12) on stdout.
 */
export async function runPolicyCommand(
  args: PolicyCommandArgs,
  io: CliIO,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    if (args.sub === "schema") {
      io.stdout(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
      return EXIT.done;
    }
    if (args.sub === "validate") {
      if (!args.file) {
        io.stderr("usage: ie-janitor policy validate FILE\n");
        return EXIT.usage;
      }
      const { hash } = loadPolicy({ path: args.file });
      io.stdout(`valid (policy hash ${hash})\n`);
      return EXIT.done;
    }
    const loaded = readPolicy(env);
    io.stdout(
      `${JSON.stringify({ policyHash: loaded.hash, source: loaded.source, policy: loaded.policy }, null, 2)}\n`,
    );
    return EXIT.done;
  } catch (err) {
    if (err instanceof ValidationError) {
      const what = args.sub === "validate" ? args.file : "the effective policy";
      io.stderr(
        `invalid policy (${what}):\n${err.problems.map((p) => `  ${p.field}: ${p.message}\n`).join("")}`,
      );
      return EXIT.usage;
    }
    throw err;
  }
}

/**
 * The JSON Schema of a policy document as written (defaults may be omitted), generated from the zod schema the
 * validator uses, so the two cannot drift. It checks the shape an editor can check; the validator still has the
 * last word (state names, durations, which actions the service allows in which states).
 */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policySchema, { target: "draft-2020-12", io: "input" });
  return {
    ...schema,
    title: "importexport-janitor policy",
    description:
      "Which Azure Import/Export jobs the janitor deletes or cancels. Check a file with `ie-janitor policy validate FILE`.",
  };
}
