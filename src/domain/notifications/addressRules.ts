// Which network addresses a notification may reach. A webhook URL is user input: without these rules a target
// (or a DNS answer, or a redirect) could make the janitor call the instance metadata service or an internal
// host (server-side request forgery). See docs/operations.md#notifications.

/** Hosts that name this machine; plain http is accepted only to them (local receivers). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = parseIpv4(host);
  if (v4) return v4[0] === 127;
  return host === "::1" || host === "0:0:0:0:0:0:0:1";
}

/**
 * True for addresses a notification must not reach unless its target says `allowPrivate`: loopback, private
 * (RFC 1918, unique local), link-local (which holds the metadata service 169.254.169.254), carrier-grade NAT,
 * unspecified, multicast and reserved ranges, and IPv4 written inside IPv6.
 */
export function isPrivateAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, "").toLowerCase();
  const v4 = parseIpv4(host);
  if (v4) return isPrivateIpv4(v4);
  if (!host.includes(":")) return false;
  const groups = expandIpv6(host);
  if (!groups) return true; // unreadable: refuse
  const g0 = groups[0]!;
  if (groups.every((g) => g === 0)) return true; // ::
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return true; // ::1
  if ((g0 & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((g0 & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  // IPv4 inside IPv6 (::ffff:a.b.c.d, ::a.b.c.d): the IPv4 rules apply.
  if (groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0)) {
    const [g6, g7] = [groups[6]!, groups[7]!];
    return isPrivateIpv4([g6 >> 8, g6 & 255, g7 >> 8, g7 & 255]);
  }
  if (g0 === 0x64 && groups[1] === 0xff9b) return true; // NAT64 may reach anything
  return false;
}

/** Whether `hostname` is an IP literal (v4 or v6), so it needs no DNS lookup. */
export function isIpLiteral(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return (
    parseIpv4(host) !== undefined || (host.includes(":") && expandIpv6(host.toLowerCase()) !== undefined)
  );
}

type Quad = [number, number, number, number];

function isPrivateIpv4([a, b]: Quad): boolean {
  return (
    a === 0 || // this network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast and reserved
  );
}

function parseIpv4(host: string): Quad | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number) as Quad;
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function expandIpv6(host: string): number[] | undefined {
  const address = host.split("%")[0] ?? ""; // zone id
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const read = (s: string | undefined) => (s ? s.split(":") : []);
  const head = read(halves[0]);
  const tail = halves.length === 2 ? read(halves[1]) : [];
  // A trailing IPv4 part counts as two groups.
  const last = tail.length ? tail : head;
  const v4 = last.length ? parseIpv4(last[last.length - 1]!) : undefined;
  if (v4)
    last.splice(last.length - 1, 1, ((v4[0] << 8) | v4[1]).toString(16), ((v4[2] << 8) | v4[3]).toString(16));
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16));
}
