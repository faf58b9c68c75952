// An in-memory stand-in for the TableClient calls the stores make, for the faults Azurite cannot produce:
// empty pages that still carry a continuation token, 5xx answers, and writes whose answer is lost.
import { RestError } from "@azure/core-rest-pipeline";
import type { TableEntityResultPage, TableTransactionResponse, TransactionAction } from "@azure/data-tables";
import type { Entity, StoredEntity, TableLike } from "../../../../src/adapters/storage/tableAccess";

type Method =
  "createEntity" | "getEntity" | "updateEntity" | "deleteEntity" | "submitTransaction" | "listEntities";

interface Fault {
  method: Method;
  status: number;
  /** How many calls fail; Infinity for all. */
  times: number;
  /** The call takes effect, then its answer is lost (the caller sees the error). */
  lands?: boolean;
}

export const restError = (status: number, code?: string) =>
  new RestError(`fake ${status}`, { statusCode: status, ...(code ? { code } : {}) });

export class FakeTable implements TableLike {
  readonly rows = new Map<string, StoredEntity>();
  readonly calls: Record<Method, number> = {
    createEntity: 0,
    getEntity: 0,
    updateEntity: 0,
    deleteEntity: 0,
    submitTransaction: 0,
    listEntities: 0,
  };
  readonly filters: string[] = [];
  private faults: Fault[] = [];
  private etagCounter = 0;
  /** When set, listEntities serves these pages in turn (by continuation token) instead of the stored rows. */
  scriptedPages?: { items: Record<string, unknown>[]; token?: string }[];

  fail(fault: Fault): void {
    this.faults.push(fault);
  }

  async createTable(): Promise<void> {}

  async createEntity(entity: Entity): Promise<unknown> {
    return this.call("createEntity", () => this.insert(entity));
  }

  async getEntity(partitionKey: string, rowKey: string): Promise<StoredEntity> {
    return this.call("getEntity", () => {
      const row = this.rows.get(key(partitionKey, rowKey));
      if (!row) throw restError(404, "ResourceNotFound");
      return structuredClone(row);
    });
  }

  async updateEntity(entity: Entity, _mode: string, options: { etag: string }): Promise<{ etag?: string }> {
    return this.call("updateEntity", () => {
      const current = this.rows.get(key(entity.partitionKey, entity.rowKey));
      if (!current) throw restError(404, "ResourceNotFound");
      if (options.etag !== "*" && options.etag !== current.etag)
        throw restError(412, "UpdateConditionNotSatisfied");
      return { etag: this.store(entity) };
    });
  }

  async deleteEntity(partitionKey: string, rowKey: string): Promise<unknown> {
    return this.call("deleteEntity", () => {
      if (!this.rows.delete(key(partitionKey, rowKey))) throw restError(404, "ResourceNotFound");
      return {};
    });
  }

  async submitTransaction(actions: TransactionAction[]): Promise<TableTransactionResponse> {
    return this.call("submitTransaction", () => {
      const before = new Map(this.rows);
      try {
        for (const [kind, entity] of actions) {
          if (kind === "create") this.insert(entity);
          else if (kind === "delete") {
            if (!this.rows.delete(key(entity.partitionKey, entity.rowKey)))
              throw restError(404, "ResourceNotFound");
          } else this.store(entity);
        }
      } catch (err) {
        this.rows.clear();
        for (const [k, v] of before) this.rows.set(k, v); // all or nothing
        throw err;
      }
      return { status: 202, subResponses: [], getResponseForEntity: () => undefined };
    });
  }

  listEntities(options: { queryOptions: { filter: string } }) {
    this.filters.push(options.queryOptions.filter);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const table = this;
    return {
      byPage(settings: { continuationToken?: string }) {
        return (async function* () {
          table.calls.listEntities++;
          table.takeFault("listEntities");
          const pages = table.scriptedPages ?? [
            {
              items: [...table.rows.values()].sort((a, b) =>
                key(a.partitionKey!, a.rowKey!) < key(b.partitionKey!, b.rowKey!) ? -1 : 1,
              ),
            },
          ];
          let index =
            settings.continuationToken === undefined ? 0 : Number(settings.continuationToken.slice(5));
          for (; index < pages.length; index++) {
            const page = pages[index]!;
            const out = page.items.map((i) => structuredClone(i)) as TableEntityResultPage<
              Record<string, unknown>
            >;
            if (page.token !== undefined) out.continuationToken = page.token;
            yield out;
            if (page.token === undefined) return;
          }
        })();
      },
    };
  }

  private insert(entity: Entity): void {
    if (this.rows.has(key(entity.partitionKey, entity.rowKey))) throw restError(409, "EntityAlreadyExists");
    this.store(entity);
  }

  private store(entity: Entity): string {
    const etag = `W/"${++this.etagCounter}"`;
    const plain: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(entity)) {
      // What the service gives back: typed values as plain numbers.
      plain[name] =
        value && typeof value === "object" && "type" in value
          ? Number((value as unknown as { value: unknown }).value)
          : value;
    }
    this.rows.set(key(entity.partitionKey, entity.rowKey), { ...plain, etag } as StoredEntity);
    return etag;
  }

  private takeFault(method: Method): Fault | undefined {
    const fault = this.faults.find((f) => f.method === method && f.times > 0);
    if (!fault) return undefined;
    fault.times--;
    if (!fault.lands) throw restError(fault.status);
    return fault;
  }

  private call<T>(method: Method, run: () => T): T {
    this.calls[method]++;
    const fault = this.takeFault(method);
    const result = run();
    if (fault?.lands) throw restError(fault.status);
    return result;
  }
}

const key = (partitionKey: string, rowKey: string) => `${partitionKey}\u0000${rowKey}`;

/** Page tokens the fake understands: `page:<index>`. */
export const pageToken = (index: number) => `page:${index}`;
