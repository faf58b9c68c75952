// Small pieces every page uses. Everything from the service or a caller is rendered as text by Preact (JSX
// children are text nodes); nothing here ever builds HTML from data.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (err: unknown) => live && setState({ error: errorText(err), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return `Sign in first (${err.message}).`;
    if (err.status === 403) return `Not allowed: ${err.message}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export function ErrorNote({ error }: { error?: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? (
    <p class="loading" aria-live="polite">
      Loading...
    </p>
  ) : null;
}

export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // After a navigation, keyboard and screen reader users start at the new page's title.
    ref.current?.focus();
  }, []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

export function Status({ value }: { value: string }) {
  return <span class={`status status-${value.replace(/[^a-z-]/g, "")}`}>{value}</span>;
}

/** A link inside the app (hash routes, so the server serves one page). */
export function hashLink(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const s = params.toString();
  return `#/${path}${s ? `?${s}` : ""}`;
}

/** A job's page; a Data Box job says so (its decision is read from the Data Box API). */
export function jobLink(e: {
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  source?: string;
}): string {
  return hashLink("job", {
    subscriptionId: e.subscriptionId,
    resourceGroup: e.resourceGroup,
    jobName: e.jobName,
    ...(e.source === "databox" && { source: "databox" }),
  });
}

export function Pager(props: {
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  label: string;
}) {
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" disabled={!props.hasPrevious} onClick={props.onPrevious}>
        Previous page
      </button>
      <button type="button" disabled={!props.hasNext} onClick={props.onNext}>
        Next page
      </button>
    </nav>
  );
}
