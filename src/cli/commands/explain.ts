import { parseSourcedJobResourceId } from "../../domain/armIds";
import { createJanitor } from "../../composition";
import type { Env } from "../../settings/settings";
import { EXIT, type CliIO } from "../io";

/** `ie-janitor explain JOB_RESOURCE_ID`: reads the job live and says what the policy decides now, and why. */
export async function runExplainCommand(
  jobResourceId: string,
  flags: { policy?: string; json?: boolean; source?: string },
  env: Env,
  io: CliIO,
): Promise<number> {
  const ref = parseSourcedJobResourceId(jobResourceId);
  if (!ref) {
    io.stderr(
      "JOB_RESOURCE_ID must be a job's ARM id: /subscriptions/{guid}/resourceGroups/{name}/providers/Microsoft.ImportExport/jobs/{name}" +
        " or .../providers/Microsoft.DataBox/jobs/{name}\n",
    );
    return EXIT.usage;
  }
  if (flags.source !== undefined && flags.source !== ref.source) {
    io.stderr(
      `--source: the id names a ${ref.source} job (${ref.source === "databox" ? "Microsoft.DataBox" : "Microsoft.ImportExport"}), not the --source given (importexport or databox)\n`,
    );
    return EXIT.usage;
  }
  const janitor = await createJanitor(env, { policyFile: flags.policy });
  const explained = await janitor.engine.explain(ref);
  const out = {
    jobId: jobResourceId,
    policyHash: janitor.policy.hash,
    ...explained.decision,
    observation: undefined,
    ...(explained.failure && { readFailure: explained.failure }),
  };
  if (flags.json) io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  else {
    const d = explained.decision;
    io.stdout(
      [
        `job:      ${jobResourceId}`,
        `state:    ${d.state || "-"}`,
        `action:   ${d.action}${d.eligible ? " (would act now)" : ""}`,
        `reason:   ${d.reason}`,
        `rule:     ${d.rule ?? "-"}`,
        `age:      ${d.ageDays === undefined ? "-" : `${d.ageDays.toFixed(1)} days (${d.ageBasis})`}`,
        `detail:   ${d.detail}`,
        `policy:   ${janitor.policy.source} (${janitor.policy.hash})`,
      ].join("\n") + "\n",
    );
  }
  return explained.failure ? EXIT.failed : EXIT.done;
}
