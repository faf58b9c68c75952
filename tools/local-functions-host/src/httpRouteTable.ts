import type { Registration } from "./functionsCore";
import { matchRoute, parseRouteTemplate, unsupportedConstraints, type RouteTemplate } from "./routeTemplate";

export interface HttpRoute {
  registration: Registration;
  triggerName: string;
  route: RouteTemplate;
  /** Upper-case; undefined = every method. */
  methods: string[] | undefined;
  /**
   * Recorded, not enforced: like Core Tools, the local host serves `function` and `admin` routes without keys
   * (the platform checks `x-functions-key` / `code` in Azure).
   */
  authLevel: string;
}

export interface RouteMatch {
  route: HttpRoute;
  params: Record<string, string>;
}

/** The HTTP-triggered functions of an app, most specific template first (literal segments beat parameters). */
export class HttpRouteTable {
  readonly routes: HttpRoute[];
  readonly warnings: string[] = [];

  constructor(registrations: readonly Registration[]) {
    this.routes = [];
    for (const registration of registrations) {
      const [triggerName, trigger] =
        Object.entries(registration.metadata.bindings).find(
          ([, b]) => String(b.type).toLowerCase() === "httptrigger",
        ) ?? [];
      if (!trigger || !triggerName) continue;
      const template =
        typeof trigger.route === "string" && trigger.route !== "" ? trigger.route : registration.name;
      const route = parseRouteTemplate(template);
      const unsupported = unsupportedConstraints(route);
      if (unsupported.length > 0) {
        this.warnings.push(
          `Function '${registration.name}': route constraints not checked locally: ${unsupported.join(", ")}.`,
        );
      }
      const methods = Array.isArray(trigger.methods)
        ? trigger.methods.map((m) => String(m).toUpperCase())
        : undefined;
      this.routes.push({
        registration,
        triggerName,
        route,
        methods,
        authLevel: typeof trigger.authLevel === "string" ? trigger.authLevel : "anonymous",
      });
    }
    this.routes.sort((a, b) => b.route.specificity - a.route.specificity);
  }

  /**
   * The function serving a method and path (below the route prefix); `enabled` leaves out disabled functions. A path
   * whose routes take other methods only is not matched (see `methodsFor`).
   */
  match(
    method: string,
    path: string,
    enabled: (route: HttpRoute) => boolean = () => true,
  ): RouteMatch | undefined {
    const upper = method.toUpperCase();
    for (const route of this.routes) {
      if (!enabled(route) || (route.methods && !route.methods.includes(upper))) continue;
      const params = matchRoute(route.route, path);
      if (params) return { route, params };
    }
    return undefined;
  }

  /** The methods some route takes for this path: what a 405 lists in `Allow`. */
  methodsFor(path: string, enabled: (route: HttpRoute) => boolean = () => true): string[] {
    const methods = new Set<string>();
    for (const route of this.routes) {
      if (!enabled(route) || !matchRoute(route.route, path)) continue;
      for (const m of route.methods ?? ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
        methods.add(m);
    }
    return [...methods];
  }
}
