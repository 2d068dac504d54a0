// Argument errors for the benchmarks' command lines: a message plus the usage, exit code 2.
export function argumentParser(usage: string) {
  const fail = (message: string): never => {
    console.error(`${message}\n\n${usage}`);
    process.exit(2);
  };
  const positiveInt = (name: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      fail(`--${name} must be a whole number >= 1, got "${value}"`);
    return n;
  };
  // Layers offloaded to the GPU: -1 (all), 0 (none) or a count.
  const gpuLayers = (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < -1)
      fail(`--gpu-layers must be -1 (all), 0 (CPU) or a layer count, got "${value}"`);
    return n;
  };
  return { fail, positiveInt, gpuLayers };
}
