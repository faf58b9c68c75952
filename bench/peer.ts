// The peer the scale benchmarks compare with (bench/tenantBench.ts): the loop an operator would write with the
// same SDKs, with no janitor code in it. List every subscription, then for each one list its Import/Export jobs,
// one request at a time, and decide with a plain age check (a job in Creating for more than 7 days is stale); no
// audit, no memory of earlier runs, no re-read before a delete. `apply` deletes the stale jobs one by one.
// Run as its own process: node dist/bench/peer.js plan|apply, with PEER_ENDPOINT and PEER_CA_CERT (a PEM file).
// It prints one JSON line: what it saw and did.
import { readFileSync } from "node:fs";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { StorageImportExport } from "@azure/arm-storageimportexport";
import type { AccessToken, TokenCredential } from "@azure/identity";

const STALE_MS = 7 * 86_400_000;

/** The emulator accepts any bearer token; against Azure an operator would pass DefaultAzureCredential. */
const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({
    token: "peer-benchmark-token",
    expiresOnTimestamp: Date.now() + 3_600_000,
  }),
};

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== "plan" && mode !== "apply") throw new Error("usage: peer.js plan|apply");
  const endpoint = process.env.PEER_ENDPOINT;
  const caFile = process.env.PEER_CA_CERT;
  if (!endpoint || !caFile) throw new Error("PEER_ENDPOINT and PEER_CA_CERT must be set");
  const options = { endpoint, tlsOptions: { ca: readFileSync(caFile, "utf8") } };
  const now = Date.now();
  let subscriptions = 0;
  let jobs = 0;
  let stale = 0;
  let deleted = 0;
  const subscriptionClient = new SubscriptionClient(credential, options);
  for await (const sub of subscriptionClient.subscriptions.list()) {
    if (sub.state !== "Enabled" || !sub.subscriptionId) continue;
    subscriptions++;
    const client = new StorageImportExport(credential, sub.subscriptionId, options);
    // $top 100 (the service's largest page) so that the peer sends no more list requests than the janitor.
    for await (const job of client.jobs.listBySubscription({ top: 100 })) {
      jobs++;
      const createdAt = Date.parse(job.systemData?.createdAt?.toISOString() ?? "");
      const old = job.properties?.state === "Creating" && now - createdAt > STALE_MS;
      if (!old) continue;
      stale++;
      if (mode === "apply" && job.name && job.id) {
        const resourceGroup = job.id.split("/")[4]!;
        await client.jobs.delete(job.name, resourceGroup);
        deleted++;
      }
    }
  }
  process.stdout.write(`${JSON.stringify({ mode, subscriptions, jobs, stale, deleted })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
