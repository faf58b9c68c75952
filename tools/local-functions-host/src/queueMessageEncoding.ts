// The Functions storage-queue extension stores and expects messages base64-encoded by default
// (host.json `extensions.queues.messageEncoding`: "base64" | "none"). Anything enqueuing for a queue trigger
// directly must encode the same way.

export type MessageEncoding = "base64" | "none";

export function encodeQueueMessage(text: string | Buffer, encoding: MessageEncoding): string {
  if (encoding === "none") return Buffer.isBuffer(text) ? text.toString("utf8") : text;
  return (Buffer.isBuffer(text) ? text : Buffer.from(text, "utf8")).toString("base64");
}

/** Returns the decoded text, or undefined when the message is not valid base64 (the host moves it to poison). */
export function decodeQueueMessage(messageText: string, encoding: MessageEncoding): string | undefined {
  if (encoding === "none") return messageText;
  const compact = messageText.replace(/\s+/g, "");
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, "base64").toString("utf8");
}
