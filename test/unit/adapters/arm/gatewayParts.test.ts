// The SDK clients both gateways build: the model deserialization is gone (decisions come from the raw body), the
// rest of the SDK's pipeline (request serialization, bearer token, retries off) stays as the SDK made it.
import { DataBoxManagementClient } from "@azure/arm-databox";
import { StorageImportExport } from "@azure/arm-storageimportexport";
import { describe, expect, it } from "vitest";
import { DevelopmentTokenCredential } from "../../../../src/adapters/arm";
import { withoutModelDeserialization } from "../../../../src/adapters/arm/gatewayParts";
import { SUB } from "./wireJobs";

const names = (client: { pipeline: { getOrderedPolicies(): { name: string }[] } }) =>
  client.pipeline.getOrderedPolicies().map((p) => p.name);

describe("withoutModelDeserialization", () => {
  it.each([
    ["Import/Export", () => new StorageImportExport(new DevelopmentTokenCredential(), SUB)],
    ["Data Box", () => new DataBoxManagementClient(new DevelopmentTokenCredential(), SUB)],
  ])("takes only the deserialization policy out of the %s client's pipeline", (_name, make) => {
    // Prepare
    const before = names(make());
    expect(before).toContain("deserializationPolicy");

    // Act
    const after = names(withoutModelDeserialization(make()));

    // Assert
    expect(after).not.toContain("deserializationPolicy");
    expect(after).toEqual(before.filter((n) => n !== "deserializationPolicy"));
    expect(after).toContain("serializationPolicy");
  });
});
