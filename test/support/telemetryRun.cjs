// Runs in a process of its own, so that NODE_EXTRA_CA_CERTS (read by Node at start) trusts the test's ingestion
// receiver and the OpenTelemetry globals are this run's alone. From its environment it starts the app's
// telemetry as the Functions app does (nothing without APPLICATIONINSIGHTS_CONNECTION_STRING), builds the janitor
// as the app builds it, runs a plan and an apply, records a poisoned notification through the app's own
// janitor-notify-poison handler, flushes (shutdown) and prints what happened as one JSON line.
const path = require("node:path");

const dist = path.resolve(__dirname, "../../dist/src");
const { startTelemetry, stopTelemetry } = require(`${dist}/adapters/telemetry`);
const telemetry = startTelemetry(process.env, { exporter: { disableOfflineStorage: true } });
const { createJanitor } = require(`${dist}/composition`);
const { notifyPoison } = require(`${dist}/functions/handlers/notify`);

async function main() {
  const janitor = await createJanitor(process.env, {
    tablePrefix: process.env.TEST_TABLE_PREFIX,
    engine: JSON.parse(process.env.TEST_ENGINE ?? "{}"),
  });
  const runs = [];
  for (const mode of ["plan", "apply"]) {
    const started = Date.now();
    const run = await janitor.engine.executeRun(
      { trigger: "cli", mode, requestedBy: "cli:test" },
      `${mode}-${started}-${process.pid}`,
      { deadline: new Date(started + 120_000) },
    );
    runs.push({ ...run, elapsedMs: Date.now() - started });
  }
  const quiet = { log() {}, warn() {}, error() {} };
  const poisoned = {
    kind: "deliver",
    deliveryId: "ab".repeat(16),
    target: "ops-webhook",
    event: "run-finished",
    runId: runs[1].runId,
    body: "{}",
  };
  await notifyPoison({ settings: janitor.settings, janitor: async () => janitor }, poisoned, quiet);
  const sdkLoaded = Object.keys(require.cache).some((file) => file.includes("monitor-opentelemetry"));
  await stopTelemetry();
  process.stdout.write(`${JSON.stringify({ runs, telemetry: telemetry !== undefined, sdkLoaded })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
