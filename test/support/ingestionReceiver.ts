// A stand-in for the Application Insights ingestion endpoint: an https server on 127.0.0.1 (the exporter turns
// an http IngestionEndpoint into https, so TLS it must be, with a self-signed CA the client trusts through
// NODE_EXTRA_CA_CERTS) that answers every POST /v2.1/track as the service does and keeps the envelopes.
import https from "node:https";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { createCertificate, removeCertificate } from "../../tools/emulator/src/certificate";

export interface Envelope {
  name: string;
  data: { baseType: string; baseData: Record<string, unknown> & { properties?: Record<string, string> } };
}

export interface IngestionReceiver {
  /** `InstrumentationKey=...;IngestionEndpoint=http://127.0.0.1:PORT/`: the exporter sends to https there. */
  connectionString: string;
  /** The CA to trust (NODE_EXTRA_CA_CERTS). */
  caCertPath: string;
  envelopes: Envelope[];
  /** Every request body as received (decompressed), for canary checks. */
  rawBodies: string[];
  requests: number;
  close(): Promise<void>;
}

export async function startIngestionReceiver(): Promise<IngestionReceiver> {
  const certificate = await createCertificate();
  const received: Pick<IngestionReceiver, "envelopes" | "rawBodies" | "requests"> = {
    envelopes: [],
    rawBodies: [],
    requests: 0,
  };
  const server = https.createServer({ cert: certificate.certPem, key: certificate.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.requests++;
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const text = body.toString("utf8");
      received.rawBodies.push(text);
      let items: Envelope[] = [];
      try {
        const parsed = JSON.parse(text) as Envelope | Envelope[];
        items = Array.isArray(parsed) ? parsed : [parsed];
      } catch {
        items = text
          .split("\n")
          .filter((line) => line.trim())
          .map((line) => JSON.parse(line) as Envelope);
      }
      received.envelopes.push(...items);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(received, {
    connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:${port}/`,
    caCertPath: certificate.caCertPath,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await removeCertificate(certificate);
    },
  });
}
