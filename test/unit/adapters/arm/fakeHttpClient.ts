// A scripted HttpClient placed under the real SDK pipeline: the SDK builds and sends real requests, this
// answers them from a queue and records what was sent.
import {
  createHttpHeaders,
  RestError,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";

export type Reply =
  | { status: number; json?: unknown; text?: string; headers?: Record<string, string> }
  | { networkError: string }
  | { hang: true };

export interface SentRequest {
  method: string;
  url: string;
  body?: string;
  authorization?: string;
}

export class FakeHttpClient implements HttpClient {
  readonly sent: SentRequest[] = [];
  private readonly replies: Reply[] = [];

  reply(...replies: Reply[]): this {
    this.replies.push(...replies);
    return this;
  }

  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    const authorization = request.headers.get("authorization");
    this.sent.push({
      method: request.method,
      url: request.url,
      ...(typeof request.body === "string" && { body: request.body }),
      ...(authorization && { authorization }),
    });
    const reply = this.replies.shift();
    if (!reply) throw new Error(`no reply scripted for ${request.method} ${request.url}`);
    if ("networkError" in reply) {
      // What the Node HTTP client throws when a socket fails.
      throw new RestError(`read ${reply.networkError}`, { code: reply.networkError, request });
    }
    if ("hang" in reply) {
      return new Promise((_resolve, reject) => {
        const abort = (): void => {
          const error = new Error("The operation was aborted.");
          error.name = "AbortError";
          reject(error);
        };
        if (request.abortSignal?.aborted) abort();
        request.abortSignal?.addEventListener("abort", abort, { once: true });
      });
    }
    const bodyAsText = reply.text ?? (reply.json === undefined ? "" : JSON.stringify(reply.json));
    return {
      request,
      status: reply.status,
      headers: createHttpHeaders({
        ...(bodyAsText !== "" && { "content-type": "application/json; charset=utf-8" }),
        ...reply.headers,
      }),
      bodyAsText,
    };
  }
}
