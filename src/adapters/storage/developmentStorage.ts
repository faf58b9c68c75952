// Azurite's well-known development account: public, documented, not a secret. What
// `UseDevelopmentStorage=true` stands for, and what the local tools point the app at.
export const DEV_ACCOUNT = "devstoreaccount1";
const DEV_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** An explicit connection string for Azurite on the given loopback ports. */
export function developmentStorageConnectionString(ports: {
  blobPort: number;
  queuePort: number;
  tablePort: number;
}): string {
  const base = "http://127.0.0.1";
  return [
    "DefaultEndpointsProtocol=http",
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_ACCOUNT_KEY}`,
    `BlobEndpoint=${base}:${ports.blobPort}/${DEV_ACCOUNT}`,
    `QueueEndpoint=${base}:${ports.queuePort}/${DEV_ACCOUNT}`,
    `TableEndpoint=${base}:${ports.tablePort}/${DEV_ACCOUNT}`,
  ].join(";");
}
