import { randomUUID } from "node:crypto";
import type {
  CoreInvocationContext,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcParameterBinding,
  RpcTypedData,
} from "./coreTypes";
import type { FunctionsCore, Registration } from "./functionsCore";

export interface InvocationInput {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: RpcInvocationRequest["retryContext"];
}

/**
 * Invokes one registered function the way the Functions Node worker does: the app's programming model builds the
 * arguments from the RPC-shaped request, preInvocation hooks run, the handler runs, postInvocation hooks run (they
 * may replace the result or the error), and the model converts the result into the RPC-shaped response.
 * Rejects with the handler's error.
 */
export async function runInvocation(
  core: FunctionsCore,
  registration: Registration,
  input: InvocationInput,
): Promise<RpcInvocationResponse> {
  const model = core.programmingModel;
  if (!model) throw new Error("The app did not set a programming model (is it using @azure/functions v4?).");

  const invocationId = randomUUID();
  // Logs made while building the arguments have no context yet; later ones carry it (for log hooks).
  const logContext: { invocationContext?: unknown } = {};
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request: {
      invocationId,
      functionId: registration.functionId,
      inputData: input.inputData,
      triggerMetadata: input.triggerMetadata ?? {},
      retryContext: input.retryContext ?? null,
      traceContext: { traceParent: traceParent(), traceState: "", attributes: {} },
    },
    metadata: registration.metadata,
    log: (level, category, message) =>
      core.emitLog(
        { level, category, message, functionName: registration.name, invocationId },
        logContext.invocationContext,
      ),
  };

  const invocationModel = await model.getInvocationModel(coreCtx);
  const args = await invocationModel.getArguments();
  const invocationContext = args.context;
  logContext.invocationContext = invocationContext;
  const hookData: Record<string, unknown> = {};

  const pre = {
    hookData,
    appHookData: core.appHookData,
    invocationContext,
    inputs: args.inputs,
    functionCallback: registration.callback,
  };
  coreCtx.state = "preInvocationHooks";
  try {
    await core.runHooks("preInvocation", pre);
  } finally {
    coreCtx.state = undefined;
  }

  const post = {
    hookData,
    appHookData: core.appHookData,
    invocationContext,
    inputs: pre.inputs,
    result: null as unknown,
    error: null as unknown,
  };
  coreCtx.state = "invocation";
  try {
    post.result = await invocationModel.invokeFunction(invocationContext, pre.inputs, pre.functionCallback);
  } catch (err) {
    post.error = err;
  } finally {
    coreCtx.state = undefined;
  }

  coreCtx.state = "postInvocationHooks";
  try {
    await core.runHooks("postInvocation", post);
  } finally {
    coreCtx.state = undefined;
  }
  if (post.error !== null && post.error !== undefined) throw post.error;
  return invocationModel.getResponse(invocationContext, post.result);
}

/** W3C trace parent, so `context.traceContext` looks as it does under the real host. */
function traceParent(): string {
  const hex = (n: number) => randomUUID().replace(/-/g, "").slice(0, n);
  return `00-${hex(32)}-${hex(16)}-01`;
}

/** The value an output binding or return value carries, as the host reads RPC typed data. */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (data.int !== undefined && data.int !== null) return Number(data.int);
  if (data.double !== undefined && data.double !== null) return data.double;
  if (data.http) return data.http;
  return undefined;
}
