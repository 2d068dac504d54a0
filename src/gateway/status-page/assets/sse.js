// Reads an SSE byte stream from fetch (EventSource cannot send a header): one call per frame.

/** Calls `onEvent(event, data)` with each frame's event name and parsed JSON data, to the end. */
export async function readSse(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const lines = frame.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
      const data = lines
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      // A comment-only frame (`: keep-alive`) has neither.
      if (event && data) onEvent(event, JSON.parse(data));
      cut = buffer.indexOf("\n\n");
    }
  }
}
