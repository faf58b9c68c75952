// `ie-janitor`: the operator's command line (README, "Command line"). A thin edge: parse flags, build the janitor
// from settings (or a private emulator with `--emulator`), call one command, map the result to an exit code.
import { Command, CommanderError, Option } from "commander";
import type { Janitor } from "../composition";
import { JanitorError, ValidationError, type FieldProblem } from "../errors";
import type { Env } from "../settings/settings";
import { EXIT, processIO, type CliIO } from "./io";
import { packageVersion } from "./version";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Runs the CLI and resolves to the exit code; never calls process.exit itself (the bin script does). */
export async function main(argv: string[], io: CliIO = processIO, env: Env = process.env): Promise<number> {
  let exitCode: number = EXIT.done;
  const program = new Command("ie-janitor")
    .description("Keeps Azure Import/Export jobs tidy: plan, apply, audit, explain.")
    .version(packageVersion(), "-V, --version", "print the version")
    .exitOverride()
    // Options belong to the command they follow (`plans --json` lists, `plans show ID --json` shows).
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError("(run ie-janitor --help for usage)");

  // `--source` of plan and apply: the sources of this run, in place of JANITOR_SOURCES (checked the same way).
  const withSources = async (
    flag: string | undefined,
    e: Env,
    action: (env: Env) => Promise<number>,
  ): Promise<number> => {
    if (flag === undefined) return action(e);
    const { parseSources } = await import("../settings/settings");
    const problems: FieldProblem[] = [];
    const sources = parseSources(flag, "--source", problems);
    if (problems.length > 0 || flag.trim() === "") {
      io.stderr(`--source: use importexport, databox or both, comma-separated, each once\n`);
      return EXIT.usage;
    }
    return action({ ...e, JANITOR_SOURCES: sources.join(",") });
  };

  // Each command runs with its settings, or with a private emulator and Azurite when --emulator is given.
  const withEnv = (emulator: boolean | undefined, action: (env: Env) => Promise<number>) => async () => {
    if (!emulator) {
      exitCode = await action(env);
      return;
    }
    const { startLocalServices } = await import("./localServices");
    const local = await startLocalServices(env);
    try {
      exitCode = await action(local.env);
    } finally {
      await local.close();
    }
  };
  const emulatorOption = new Option(
    "--emulator",
    "use a private Import/Export emulator (demo data) and a private Azurite, for trying things out",
  );

  for (const mode of ["plan", "apply"] as const) {
    const cmd = program
      .command(mode)
      .description(
        mode === "plan" ? "decide and record what would be done; change nothing" : "decide and act",
      )
      .option(
        "--policy <file>",
        "policy file (JSON or YAML); default JANITOR_POLICY / JANITOR_POLICY_PATH / built-in",
      )
      .option("--subscription <id>", "only this subscription (repeatable)", collect)
      .option(
        "--source <source>",
        "only jobs of these sources: importexport, databox or both comma-separated; default JANITOR_SOURCES (both)",
      )
      .option("--json", "print the run record and every decision as one JSON document")
      .addOption(emulatorOption);
    if (mode === "apply")
      cmd
        .option("--yes", "do not ask for confirmation (needed without a terminal)")
        .option("--plan <planId>", "apply exactly this approved saved plan (see `plans`), once");
    cmd.action(async (flags) => {
      const { runSweepCommand } = await import("./commands/sweep");
      await withEnv(flags.emulator, (e) =>
        withSources(flags.source, e, (withSource) => runSweepCommand(mode, flags, withSource, io)),
      )();
    });
  }

  program
    .command("audit")
    .description("query the audit log")
    .option("--from <time>", "ISO 8601 start of the time range")
    .option("--to <time>", "ISO 8601 end of the time range")
    .option("--run <id>", "entries of one run")
    .option("--job <id>", "entries of one job (ARM resource id)")
    .option("--subscription <id>", "entries of one subscription")
    .option("--action <action>", "delete, cancel or none")
    .option("--outcome <outcome>", "planned, succeeded, skipped, refused, failed or deferred")
    .option("--source <source>", "entries about jobs of one source: importexport or databox")
    .option("--limit <n>", "1-1000 (default 100)")
    .option("--cursor <cursor>", "continue from a previous page")
    .option("--format <format>", "table, json or csv", "table")
    .addOption(emulatorOption)
    .action(async (flags) => {
      const { runAuditCommand } = await import("./commands/audit");
      await withEnv(flags.emulator, async (e) => {
        const janitor = await (await import("../composition")).createJanitor(e);
        return runAuditCommand(flags, { audit: janitor.storage.audit, now: new Date() }, io);
      })();
    });

  program
    .command("runs")
    .description("list runs, newest first")
    .option("--limit <n>", "how many (default 20)")
    .option("--cursor <cursor>", "continue from a previous page")
    .option("--json", "print JSON")
    .addOption(emulatorOption)
    .action(async (flags) => {
      const { runRunsCommand } = await import("./commands/runs");
      await withEnv(flags.emulator, async (e) => {
        const janitor = await (await import("../composition")).createJanitor(e);
        return runRunsCommand(flags, { runs: janitor.storage.runs }, io);
      })();
    });

  // Saved plans: review, approve or reject (apply one with `apply --plan`).
  // Flags are checked before any storage is touched: the janitor is built only for a well-formed request.
  const withPlans = (
    emulator: boolean | undefined,
    action: (janitor: () => Promise<Janitor>, env: Env) => Promise<number>,
  ) => withEnv(emulator, (e) => action(async () => (await import("../composition")).createJanitor(e), e));
  const plans = program
    .command("plans")
    .description("saved plans, newest first; show, approve or reject one (apply one with apply --plan)")
    .enablePositionalOptions()
    .option("--status <status>", "only plans in this status: pending, approved, rejected, expired or applied")
    .option("--limit <n>", "how many (1-100, default 20)")
    .option("--cursor <cursor>", "continue from a previous page")
    .option("--json", "print JSON ({items, nextCursor}, as GET /api/plans answers)")
    .addOption(emulatorOption)
    .action(async (flags) => {
      const { runPlansListCommand } = await import("./commands/plans");
      await withPlans(flags.emulator, (janitor) =>
        runPlansListCommand(
          flags,
          async () => ({ plans: (await janitor()).storage.plans, now: new Date() }),
          io,
        ),
      )();
    });
  plans
    .command("show")
    .description("one plan and its proposed actions")
    .argument("<planId>", "the plan's id (the id of the plan run)")
    .option("--json", "one JSON document: the plan and its actions")
    .option(
      "--format <format>",
      "table, json or csv (the columns of GET /api/plans/{planId}/actions?format=csv)",
    )
    .option("--source <source>", "only actions on jobs of one source: importexport or databox")
    .addOption(emulatorOption)
    .action(async (planId: string, flags) => {
      const { runPlansShowCommand } = await import("./commands/plans");
      await withPlans(flags.emulator, (janitor) =>
        runPlansShowCommand(
          planId,
          flags,
          async () => {
            const { storage } = await janitor();
            return { plans: storage.plans, runs: storage.runs, now: new Date() };
          },
          io,
        ),
      )();
    });
  for (const step of ["approve", "reject"] as const) {
    const cmd = plans
      .command(step)
      .description(
        step === "approve"
          ? "approve a pending plan as cli:<user>, optionally without some of its jobs"
          : "reject a pending plan as cli:<user>",
      )
      .argument("<planId>", "the plan's id");
    if (step === "approve")
      cmd.option(
        "--exclude <jobId>",
        "leave this job (ARM resource id) out of the plan (repeatable)",
        collect,
      );
    cmd
      .option("--comment <text>", "why (your own words, kept short; at most 2000 characters, 500 stored)")
      .option("--json", "print the plan as it now is")
      .addOption(emulatorOption)
      .action(async (planId: string, flags) => {
        const [{ runPlansReviewCommand }, { cliActor }] = await Promise.all([
          import("./commands/plans"),
          import("./cliUser"),
        ]);
        await withPlans(flags.emulator, (janitor, e) =>
          runPlansReviewCommand(
            step,
            planId,
            flags,
            async () => {
              const { engine, settings } = await janitor();
              return { review: engine.planReview(), rule: settings.core.approval, actor: cliActor(e) };
            },
            io,
          ),
        )();
      });
  }

  program
    .command("explain")
    .description("read one job live and show what the policy decides now, and why (acts on nothing)")
    .argument("<jobResourceId>", "the job's ARM resource id")
    .option("--policy <file>", "policy file (JSON or YAML)")
    .option(
      "--source <source>",
      "the source the id must name (importexport or databox); the id's provider says it anyway",
    )
    .option("--json", "print JSON")
    .addOption(emulatorOption)
    .action(async (jobId: string, flags) => {
      const { runExplainCommand } = await import("./commands/explain");
      await withEnv(flags.emulator, (e) => runExplainCommand(jobId, flags, e, io))();
    });

  const policy = program.command("policy").description("validate or show a policy, or print its JSON Schema");
  policy
    .command("validate")
    .argument("<file>", "policy file (JSON or YAML)")
    .action(async (file: string) => {
      const { runPolicyCommand } = await import("./commands/policy");
      exitCode = await runPolicyCommand({ sub: "validate", file }, io);
    });
  policy
    .command("show")
    .description(
      "the effective policy (JANITOR_POLICY, JANITOR_POLICY_PATH or the built-in default) and its hash",
    )
    .action(async () => {
      const { runPolicyCommand } = await import("./commands/policy");
      exitCode = await runPolicyCommand({ sub: "show" }, io);
    });

  policy
    .command("schema")
    .description("the policy's JSON Schema (draft 2020-12), for editors: point a policy's \"$schema\" at it")
    .action(async () => {
      const { runPolicyCommand } = await import("./commands/policy");
      exitCode = await runPolicyCommand({ sub: "schema" }, io);
    });

  program
    .command("emulator")
    .description("run the local Import/Export emulator (development tool)")
    .option("--port <n>", "port (0 or none = a free port)")
    .option("--seed <file|demo>", "seed file, or demo")
    .option("--cert-dir <dir>", "where its CA certificate ca.pem is written (default .janitor/emulator)")
    .action(async (flags) => {
      const { runEmulatorCommand } = await import("./commands/emulator");
      exitCode = await runEmulatorCommand(flags, io);
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}

function reportError(err: unknown, io: CliIO): number {
  if (err instanceof CommanderError) {
    // Help and version are not errors; everything else commander rejects is bad usage.
    return err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0
      ? EXIT.done
      : EXIT.usage;
  }
  if (err instanceof ValidationError) {
    io.stderr(
      `ie-janitor: invalid input:\n${err.problems.map((p) => `  ${p.field}: ${p.message}`).join("\n")}\n`,
    );
    return EXIT.usage;
  }
  if (err instanceof JanitorError) {
    io.stderr(`ie-janitor: ${err.message}\n`);
    return err.fault === "user" ? EXIT.usage : EXIT.failed;
  }
  io.stderr(`ie-janitor: ${(err as Error)?.message ?? String(err)}\n`);
  return EXIT.failed;
}
