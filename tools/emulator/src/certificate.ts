import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { generate } from "selfsigned";

export interface EmulatorCertificate {
  certPem: string;
  keyPem: string;
  /** Absolute path of the certificate (PEM), the CA a client must trust. */
  caCertPath: string;
  /** The folder was made by us (a fresh temp dir) and may be removed on close. */
  ownsDir: boolean;
  dir: string;
}

/**
 * A fresh self-signed certificate for 127.0.0.1 and localhost, written as `ca.pem` to `certDir` (default a new
 * temp folder). The SDK sends bearer tokens only over https (docs/service.md#sdk-traps), hence TLS at all; nothing is
 * committed and the key never leaves memory.
 */
export async function createCertificate(certDir?: string): Promise<EmulatorCertificate> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 365 * 86_400_000);
  const pems = await generate([{ name: "commonName", value: "importexport-emulator.localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      // Its own CA: a client trusts exactly this certificate through `ca`.
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
  const ownsDir = certDir === undefined;
  const dir = ownsDir ? await mkdtemp(path.join(os.tmpdir(), "ie-emulator-")) : path.resolve(certDir);
  if (!ownsDir) await mkdir(dir, { recursive: true });
  const caCertPath = path.join(dir, "ca.pem");
  await writeFile(caCertPath, pems.cert, "utf8");
  return { certPem: pems.cert, keyPem: pems.private, caCertPath, ownsDir, dir };
}

/**
 * Removes what `createCertificate` wrote: its own temp folder, or in a given `certDir` only `ca.pem`, and only while
 * it is still this certificate (another emulator started on the same folder since then keeps its own).
 */
export async function removeCertificate(certificate: EmulatorCertificate): Promise<void> {
  if (certificate.ownsDir) {
    await rm(certificate.dir, { recursive: true, force: true });
    return;
  }
  const current = await readFile(certificate.caCertPath, "utf8").catch(() => undefined);
  if (current === certificate.certPem) await rm(certificate.caCertPath, { force: true });
}
