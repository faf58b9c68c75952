/** Reads an app setting; the local host passes its env merged over process.env. */
export type SettingLookup = (name: string) => string | undefined;

/**
 * Resolves `%NAME%` app-setting expressions in a binding property (the host does this for `schedule`, `queueName`
 * and other binding fields). A missing setting is an error naming it, as the host refuses to index the function.
 */
export function resolveAppSettingExpression(value: string, lookup: SettingLookup, where: string): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const resolved = lookup(name);
    if (resolved === undefined || resolved === "") {
      throw new Error(`${where}: app setting "${name}" (from "%${name}%") is not set.`);
    }
    return resolved;
  });
}
