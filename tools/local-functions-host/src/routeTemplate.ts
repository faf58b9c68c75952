// HTTP route templates as the Functions host reads them (ASP.NET Core routing): literal segments matched without
// regard to case, `{name}` parameters, optional `{name?}`, default values `{name=value}`, catch-all `{*name}`, and
// inline constraints `{id:int}`. Only the constraints below are checked; others are accepted and reported by
// `unsupportedConstraints` so the host can warn once at start.

type Segment =
  | { kind: "literal"; text: string }
  | { kind: "param"; name: string; optional: boolean; defaultValue?: string; constraints: string[] }
  | { kind: "catchAll"; name: string };

export interface RouteTemplate {
  template: string;
  segments: Segment[];
  /** Literal segments count first when several templates match one path. */
  specificity: number;
}

const CONSTRAINTS: Record<string, (value: string) => boolean> = {
  int: (v) => /^-?\d+$/.test(v) && Math.abs(Number(v)) <= 2 ** 31,
  long: (v) => /^-?\d+$/.test(v),
  bool: (v) => /^(true|false)$/i.test(v),
  alpha: (v) => /^[a-z]+$/i.test(v),
  guid: (v) => /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v),
  double: (v) => v.trim() !== "" && Number.isFinite(Number(v)),
  float: (v) => v.trim() !== "" && Number.isFinite(Number(v)),
  decimal: (v) => v.trim() !== "" && Number.isFinite(Number(v)),
  datetime: (v) => !Number.isNaN(Date.parse(v)),
};

export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^\/+|\/+$/g, "");
  const parts = trimmed === "" ? [] : trimmed.split("/");
  const segments = parts.map((part, index): Segment => {
    const param = /^\{(\*{1,2})?([A-Za-z_][\w]*)((?::[^{}=?]+)*)(\?)?(?:=([^{}]*))?\}$/.exec(part);
    if (!param) {
      if (/[{}]/.test(part)) throw new Error(`Route "${template}": segment "${part}" is not supported.`);
      return { kind: "literal", text: part };
    }
    const [, star, name, constraintText, question, defaultValue] = param;
    if (star) {
      if (index !== parts.length - 1)
        throw new Error(`Route "${template}": a catch-all must be the last segment.`);
      return { kind: "catchAll", name: name! };
    }
    const constraints = (constraintText ?? "").split(":").filter(Boolean);
    return {
      kind: "param",
      name: name!,
      optional: Boolean(question) || defaultValue !== undefined,
      defaultValue,
      constraints,
    };
  });
  const literals = segments.filter((s) => s.kind === "literal").length;
  const constrained = segments.filter((s) => s.kind === "param" && s.constraints.length > 0).length;
  const catchAll = segments.some((s) => s.kind === "catchAll");
  return {
    template,
    segments,
    specificity: literals * 100 + constrained * 10 + segments.length - (catchAll ? 50 : 0),
  };
}

/** Constraint names this matcher does not check (it accepts any value for them). */
export function unsupportedConstraints(route: RouteTemplate): string[] {
  return route.segments.flatMap((s) =>
    s.kind === "param" ? s.constraints.map((c) => c.replace(/\(.*$/, "")).filter((c) => !CONSTRAINTS[c]) : [],
  );
}

/**
 * Matches a path (below the route prefix, without query) against a template. Returns the decoded route
 * parameters, or undefined when the path does not match.
 */
export function matchRoute(route: RouteTemplate, path: string): Record<string, string> | undefined {
  const trimmed = path.replace(/^\/+|\/+$/g, "");
  const parts = trimmed === "" ? [] : trimmed.split("/");
  const params: Record<string, string> = {};
  let i = 0;
  for (const segment of route.segments) {
    const part = parts[i];
    if (segment.kind === "catchAll") {
      if (i < parts.length) params[segment.name] = parts.slice(i).map(safeDecode).join("/");
      i = parts.length;
      break;
    }
    if (part === undefined) {
      if (segment.kind === "param" && segment.optional) {
        if (segment.defaultValue !== undefined) params[segment.name] = segment.defaultValue;
        continue;
      }
      return undefined;
    }
    if (segment.kind === "literal") {
      if (safeDecode(part).toLowerCase() !== segment.text.toLowerCase()) return undefined;
    } else {
      const value = safeDecode(part);
      for (const constraint of segment.constraints) {
        const check = CONSTRAINTS[constraint.replace(/\(.*$/, "")];
        if (check && !check(value)) return undefined;
      }
      params[segment.name] = value;
    }
    i++;
  }
  return i === parts.length ? params : undefined;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
