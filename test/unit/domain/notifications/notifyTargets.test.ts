import { describe, expect, it } from "vitest";
import { parseNotifyTargets } from "../../../../src/domain/notifications/notifyTargets";
import { ValidationError } from "../../../../src/errors";

const ok = { name: "ops", url: "https://hooks.example.com/x", format: "teams", events: ["upcoming"] };

function problems(value: unknown): string[] {
  try {
    parseNotifyTargets(JSON.stringify(value));
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.map((p) => `${p.field}: ${p.message}`);
  }
  return [];
}

describe("parseNotifyTargets", () => {
  it("reads nothing from an unset or empty setting", () => {
    expect(parseNotifyTargets(undefined)).toEqual([]);
    expect(parseNotifyTargets("  ")).toEqual([]);
  });

  it("reads a valid target", () => {
    expect(
      parseNotifyTargets(JSON.stringify([{ ...ok, ownerTag: "owner", secret: "s".repeat(32) }])),
    ).toEqual([{ ...ok, ownerTag: "owner", secret: "s".repeat(32) }]);
  });

  it("names the setting, the target and the field", () => {
    expect(problems([ok, { ...ok, name: "chat", format: "discord" }])).toEqual([
      'JANITOR_NOTIFY[1] "chat".format: expected one of "generic", "teams", "slack"',
    ]);
    expect(problems([{ ...ok, events: ["sometimes"] }])[0]).toMatch(
      /^JANITOR_NOTIFY\[0\] "ops"\.events\[0\]: /,
    );
    expect(problems([{ ...ok, extra: 1 }])).toEqual([
      'JANITOR_NOTIFY[0] "ops".extra: is not an accepted field',
    ]);
    expect(
      problems([
        { ...ok, name: "a" },
        { ...ok, name: "a" },
      ]),
    ).toEqual(['JANITOR_NOTIFY[1] "a".name: is used by another target']);
  });

  it("refuses what is not an array of targets", () => {
    expect(() => parseNotifyTargets("{")).toThrow(/JANITOR_NOTIFY: is not valid JSON/);
    expect(problems({ name: "x" })).toEqual([
      'JANITOR_NOTIFY: must be a JSON array: [{"name","url","format","events"}]',
    ]);
  });

  it("never echoes a secret", () => {
    const found = problems([{ ...ok, secret: "short-secret" }]);
    expect(found).toEqual(['JANITOR_NOTIFY[0] "ops".secret: use at least 16 characters']);
    expect(found.join()).not.toContain("short-secret");
  });

  it.each([
    ["http://hooks.example.com/x", "must be https"],
    ["http://169.254.169.254/latest", "must be https"],
    ["https://10.0.0.1/hook", "private, loopback or link-local"],
    ["https://169.254.169.254/", "private, loopback or link-local"],
    ["https://[::ffff:10.1.2.3]/", "private, loopback or link-local"],
    ["http://127.0.0.1:8080/", "private, loopback or link-local"],
    ["https://user:pw@hooks.example.com/", "user name or password"],
    ["ftp://hooks.example.com/", "must be https"],
    ["not a url", "is not a URL"],
  ])("refuses %s", (url, message) => {
    const found = problems([{ ...ok, url }]);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('JANITOR_NOTIFY[0] "ops".url: ');
    expect(found[0]).toContain(message);
  });

  it("accepts http to loopback and private addresses only with allowPrivate", () => {
    for (const url of ["http://127.0.0.1:8080/", "http://localhost:9/", "https://10.0.0.1/"])
      expect(parseNotifyTargets(JSON.stringify([{ ...ok, url, allowPrivate: true }]))).toHaveLength(1);
  });
});
