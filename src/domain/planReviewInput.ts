// What an approver may send with an approval or rejection, checked the same way for the HTTP API and the CLI:
// the exclusions must be job resource ids (that they are in the plan is the review's own check), the comment
// short enough to read (it is cut to COMMENT_MAX when stored). Pure.
import type { FieldProblem } from "../errors";
import { ACCEPTED_IDS, parseJobResourceId } from "./armIds";

/** A comment longer than this is refused rather than silently cut (the stored one is cut to COMMENT_MAX). */
export const COMMENT_INPUT_MAX = 2000;
/** At most this many exclusions in one approval. */
export const EXCLUSIONS_MAX = 1000;

/** The problems of an approval's or rejection's input; `names` renames the fields (the CLI's flags). */
export function reviewInputProblems(
  input: { comment?: string; exclude?: readonly string[] },
  names: { comment: string; exclude: string } = { comment: "comment", exclude: "exclude" },
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (input.comment !== undefined && input.comment.length > COMMENT_INPUT_MAX)
    problems.push({
      field: names.comment,
      message: `must be at most ${COMMENT_INPUT_MAX} characters (it is cut to 500)`,
    });
  const exclude = input.exclude ?? [];
  if (exclude.length > EXCLUSIONS_MAX)
    problems.push({ field: names.exclude, message: `must list at most ${EXCLUSIONS_MAX} jobs` });
  const badIds = exclude.filter((id) => !parseJobResourceId(id));
  if (badIds.length > 0)
    problems.push({
      field: names.exclude,
      message: `must be job resource ids (${ACCEPTED_IDS.jobId}); not: ${badIds.slice(0, 5).join(", ")}`,
    });
  return problems;
}
