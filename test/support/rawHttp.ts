import net from "node:net";

/**
 * Sends raw bytes to 127.0.0.1:port (so a request can lie about its length) and resolves with the response's
 * status line, or "timeout" when none came within `waitMs`.
 */
export function rawRequest(port: number, text: string, waitMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("timeout");
    }, waitMs);
    socket.on("data", (chunk) => {
      answer += chunk.toString();
      if (answer.includes("\r\n")) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer.slice(0, answer.indexOf("\r\n")));
      }
    });
    socket.on("error", reject);
    socket.write(text);
  });
}
