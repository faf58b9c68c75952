// The dashboard: one page, hash routes (#/runs, #/runs/{id}, #/audit?..., #/job?..., #/plans, #/health).
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJson, type Me } from "./api";
import { errorText } from "./common";
import { AuditPage } from "./pages/audit";
import { HealthPage } from "./pages/health";
import { JobPage } from "./pages/job";
import { PlanPage, PlansPage } from "./pages/plans";
import { RunPage } from "./pages/run";
import { RunsPage } from "./pages/runs";

function useRoute() {
  const read = () => {
    const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?");
    return {
      parts: path.split("/").filter(Boolean).map(decodeURIComponent),
      query: new URLSearchParams(query),
    };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

const NAV: [string, string][] = [
  ["runs", "Runs"],
  ["plans", "Plans"],
  ["audit", "Audit"],
  ["job", "Job"],
  ["health", "Health & settings"],
];

function App() {
  const { parts, query } = useRoute();
  const [me, setMe] = useState<Me>();
  const [meError, setMeError] = useState<string>();
  useEffect(() => {
    getJson<Me>("me").then(setMe, (err) => setMeError(errorText(err)));
  }, []);
  const [section = "runs", id] = parts;
  const key = location.hash;
  let page;
  if (meError)
    page = (
      <p class="error" role="alert">
        {meError}
      </p>
    );
  else if (section === "runs" && id) page = <RunPage key={key} runId={id} />;
  else if (section === "plans" && id) page = <PlanPage key={key} planId={id} me={me} />;
  else if (section === "plans") page = <PlansPage key={key} />;
  else if (section === "audit") page = <AuditPage key={key} query={query} />;
  else if (section === "job") page = <JobPage key={key} query={query} />;
  else if (section === "health") page = <HealthPage key={key} me={me} />;
  else page = <RunsPage key={key} me={me} />;
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}
      >
        Skip to content
      </a>
      <header>
        <p class="brand">importexport-janitor</p>
        <nav aria-label="Sections">
          <ul>
            {NAV.map(([path, label]) => (
              <li key={path}>
                <a href={`#/${path}`} aria-current={section === path ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {me && <p class="who">{me.access === "local-open" ? "local (open on loopback)" : me.name}</p>}
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

const root = document.getElementById("app")!;
// The static "Loading" placeholder goes; the app takes the element over.
root.textContent = "";
render(<App />, root);
