/**
 * Splitting a byte stream into lines as it arrives, with a bound on memory.
 *
 * @module
 */

/**
 * A line longer than this is passed on in pieces, so one endless line cannot exhaust memory.
 *
 * @example
 * ```ts
 * import { MAX_LINE_LENGTH } from "@dagrun/dagrun";
 *
 * MAX_LINE_LENGTH; // 65536
 * ```
 */
export const MAX_LINE_LENGTH = 64 * 1024;

/**
 * Reads a byte stream to its end, calling `onLine` for every line (without its newline) as
 * soon as it is complete. Invalid UTF-8 becomes U+FFFD; a final line without a newline is
 * passed on at the end; `\r\n` endings lose their `\r`.
 *
 * @example
 * ```ts
 * import { forEachLine } from "@dagrun/dagrun";
 *
 * const child = new Deno.Command("sh", { args: ["-c", "echo a; echo b"], stdout: "piped" }).spawn();
 * await forEachLine(child.stdout, (line) => console.log(`> ${line}`));
 * await child.status;
 * ```
 */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  const emitLines = (text: string) => {
    let start = 0;
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
      const line = pending + text.slice(start, end);
      pending = "";
      onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
      start = end + 1;
    }
    pending += text.slice(start);
    while (pending.length > MAX_LINE_LENGTH) {
      onLine(pending.slice(0, MAX_LINE_LENGTH));
      pending = pending.slice(MAX_LINE_LENGTH);
    }
  };
  for await (const chunk of stream) emitLines(decoder.decode(chunk, { stream: true }));
  emitLines(decoder.decode());
  if (pending !== "") onLine(pending);
}
