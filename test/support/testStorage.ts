import { createStorage, parseStorageSettings, type Storage } from "../../src/adapters/storage";

let count = 0;

/** The storage layer on a test's Azurite, in tables of its own (a fresh prefix per call), with quick retries. */
export function testStorage(connectionString: string, clock: () => Date): Storage {
  return createStorage(parseStorageSettings({ JANITOR_STORAGE: connectionString }), {
    tablePrefix: `T${process.pid}x${Date.now().toString(36)}x${count++}`,
    clock,
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
  });
}
