// A tiny webhook receiver for watching notifications locally (README.md#watching-notifications-locally):
// prints each delivery, and checks its signature when NOTIFY_SECRET is set. Port: PORT or 8099.
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";

const port = Number(process.env.PORT ?? 8099);
const secret = process.env.NOTIFY_SECRET;

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const timestamp = String(req.headers["x-janitor-timestamp"] ?? "");
      let signed = "unsigned";
      if (secret) {
        const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
        const got = String(req.headers["x-janitor-signature"] ?? "");
        const ok = got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected));
        signed = ok ? "signature ok" : "BAD SIGNATURE";
      }
      console.log(
        `${new Date().toISOString()} ${req.headers["x-janitor-event"]} delivery ${req.headers["x-janitor-delivery"]} (${signed})`,
      );
      try {
        console.log(JSON.stringify(JSON.parse(body), null, 2));
      } catch {
        console.log(body);
      }
      res.writeHead(200).end();
    });
  })
  .listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}/`));
