// Changes a file's last byte in place: same size, other digest, and no truncation under a mapping.
import { open, stat } from "node:fs/promises";

export async function flipLastByte(path: string): Promise<void> {
  const { size } = await stat(path);
  const file = await open(path, "r+");
  try {
    const last = Buffer.alloc(1);
    await file.read(last, 0, 1, size - 1);
    await file.write(Buffer.from([(last[0] ?? 0) ^ 0xff]), 0, 1, size - 1);
  } finally {
    await file.close();
  }
}
