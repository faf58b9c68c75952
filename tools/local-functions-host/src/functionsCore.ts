import Module, { createRequire } from "node:module";
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from "./coreTypes";

// Our stand-in for `@azure/functions-core`, the module the Azure Functions Node worker injects at runtime. The
// `@azure/functions` library `require`s it lazily; when it is missing the library drops every registration ("test
// mode"). Providing it before the app loads lets the local host collect the app's real registrations.
// It is only ever installed by the local host (tools/local-functions-host) and never bundled: the real host provides its own.

export const CORE_MODULE_NAME = "@azure/functions-core";

/** A function the app registered: its metadata exactly as the library built it, and its handler. */
export interface Registration {
  name: string;
  functionId: string;
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

export interface CoreLogEntry {
  level: RpcLogLevel;
  category: RpcLogCategory;
  message: string;
  functionName?: string;
  invocationId?: string;
}

/** `Disposable` as the worker exposes it (the library and apps may call `Disposable.from`). */
export class Disposable {
  #callOnDispose: (() => unknown) | undefined;
  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }
  static from(...likes: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => likes.forEach((like) => like.dispose()));
  }
  dispose(): unknown {
    const call = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return call?.();
  }
}

/** The module object the app gets from `require("@azure/functions-core")`. */
export interface FunctionsCoreApi {
  readonly version: string;
  readonly hostVersion: string;
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable;
  registerHook(hookName: string, callback: HookCallback): Disposable;
  setProgrammingModel(model: ProgrammingModel): void;
  getProgrammingModel(): ProgrammingModel | undefined;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
  readonly Disposable: typeof Disposable;
}

export interface FunctionsCore {
  readonly api: FunctionsCoreApi;
  /** In registration order. */
  readonly registrations: readonly Registration[];
  readonly programmingModel: ProgrammingModel | undefined;
  /** Shared by all hooks of the app (the worker's `appHookData`). */
  readonly appHookData: Record<string, unknown>;
  /** After app start, as in the worker, registering a function is an error. */
  lockRegistrations(): void;
  /** Runs the hooks of one kind in registration order; a throwing hook stops the chain (the worker does the same). */
  runHooks(hookName: Exclude<HookName, "log">, context: object): Promise<void>;
  /** Passes a log line through the app's `log` hooks, then to the sink. */
  emitLog(entry: CoreLogEntry, invocationContext?: unknown): void;
}

export interface FunctionsCoreOptions {
  /** Where log lines go after the app's log hooks ran. */
  logSink: (entry: CoreLogEntry) => void;
  hostVersion?: string;
}

const KNOWN_HOOKS: readonly HookName[] = [
  "appStart",
  "appTerminate",
  "preInvocation",
  "postInvocation",
  "log",
];

export function createFunctionsCore(options: FunctionsCoreOptions): FunctionsCore {
  const registrations: Registration[] = [];
  const hooks = new Map<HookName, HookCallback[]>(KNOWN_HOOKS.map((h) => [h, []]));
  const appHookData: Record<string, unknown> = {};
  let programmingModel: ProgrammingModel | undefined;
  let locked = false;

  const emitLog = (entry: CoreLogEntry, invocationContext?: unknown): void => {
    const logHooks = hooks.get("log") ?? [];
    if (logHooks.length === 0) return options.logSink(entry);
    // Log hooks may change level and message (the library's LogHookContext has setters for both).
    const hookContext = {
      level: entry.level,
      message: entry.message,
      category: entry.category,
      invocationContext,
      hookData: {},
      appHookData,
    };
    for (const hook of logHooks) {
      try {
        void hook(hookContext);
      } catch (err) {
        options.logSink({
          level: "error",
          category: "system",
          message: `A log hook failed: ${describe(err)}`,
        });
      }
    }
    options.logSink({ ...entry, level: hookContext.level, message: hookContext.message });
  };

  const api: FunctionsCoreApi = {
    version: "local",
    hostVersion: options.hostVersion ?? "4.0.0-local",
    registerFunction(metadata, callback) {
      if (locked) {
        throw new Error(
          `Function "${metadata?.name}" was registered after app start; register functions at load time.`,
        );
      }
      if (!metadata || typeof metadata.name !== "string" || metadata.name.length === 0) {
        throw new Error("registerFunction: metadata.name is required.");
      }
      if (typeof callback !== "function") {
        throw new Error(`registerFunction: the handler of "${metadata.name}" is not a function.`);
      }
      if (registrations.some((r) => r.name.toLowerCase() === metadata.name.toLowerCase())) {
        throw new Error(
          `A function named "${metadata.name}" is already registered (names are case-insensitive).`,
        );
      }
      const triggers = Object.values(metadata.bindings ?? {}).filter((b) =>
        /trigger$/i.test(String(b.type ?? "")),
      );
      if (triggers.length !== 1) {
        throw new Error(
          `Function "${metadata.name}" must have exactly one trigger binding, found ${triggers.length}.`,
        );
      }
      const registration: Registration = {
        name: metadata.name,
        functionId: metadata.functionId ?? metadata.name,
        metadata,
        callback,
      };
      registrations.push(registration);
      return new Disposable(() => {
        if (locked) throw new Error(`Function "${metadata.name}" cannot be removed after app start.`);
        registrations.splice(registrations.indexOf(registration), 1);
      });
    },
    registerHook(hookName, callback) {
      const list = hooks.get(hookName as HookName);
      // The library turns this RangeError into "Log hooks require Azure Functions Host v4.34 or higher".
      if (!list)
        throw Object.assign(new RangeError(`Unrecognized hook "${hookName}"`), {
          isAzureFunctionsSystemError: true,
        });
      list.push(callback);
      return new Disposable(() => list.splice(list.indexOf(callback), 1));
    },
    setProgrammingModel(model) {
      programmingModel = model;
    },
    getProgrammingModel: () => programmingModel,
    log(level, category, message) {
      emitLog({ level, category, message });
    },
    Disposable,
  };

  return {
    api,
    registrations,
    get programmingModel() {
      return programmingModel;
    },
    appHookData,
    lockRegistrations: () => {
      locked = true;
    },
    async runHooks(hookName, context) {
      for (const hook of [...(hooks.get(hookName) ?? [])]) await hook(context);
    },
    emitLog,
  };
}

// --- making the module resolvable -------------------------------------------------------------------------------

type LoadFn = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: LoadFn };
const activeCores: FunctionsCore[] = [];
let originalLoad: LoadFn | undefined;

/**
 * Makes `require("@azure/functions-core")` return `core.api` in this process until the returned function is called.
 * Refuses when a real Functions worker already provides the module: the local host must never shadow it.
 */
export function installFunctionsCore(core: FunctionsCore): () => void {
  if (activeCores.length === 0) {
    if (realCoreModulePresent()) {
      throw new Error(
        `${CORE_MODULE_NAME} is already provided by a Functions host; the local host will not replace it.`,
      );
    }
    originalLoad = moduleInternals._load;
    const load = originalLoad;
    moduleInternals._load = function (this: unknown, request, parent, isMain) {
      const active = activeCores[activeCores.length - 1];
      if (request === CORE_MODULE_NAME && active) return active.api;
      return load.call(this, request, parent, isMain);
    };
  }
  activeCores.push(core);
  let installed = true;
  return () => {
    if (!installed) return;
    installed = false;
    activeCores.splice(activeCores.lastIndexOf(core), 1);
    if (activeCores.length === 0 && originalLoad) {
      moduleInternals._load = originalLoad;
      originalLoad = undefined;
    }
  };
}

function realCoreModulePresent(): boolean {
  try {
    createRequire(__filename)(CORE_MODULE_NAME);
    return true;
  } catch {
    return false;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
