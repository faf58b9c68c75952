export * from "./schema";
export { parsePolicy, validatePolicy, formatPath, MAX_POLICY_BYTES, type PolicySource } from "./parsePolicy";
export { policyHash, canonicalJson } from "./policyHash";
export { DEFAULT_POLICY } from "./defaultPolicy";
