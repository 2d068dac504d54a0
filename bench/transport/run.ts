// The worker -> control plane hop's grpc-js cost, measured before choosing its shape: a Generate
// call per task (today) against one long stream per pool that carries every task's events. Both
// ends run in this process over loopback, so each figure is the CPU of both sides of the hop
// together, with our real messages (a TokenBatch-carrying GenerateEvent) encoded and decoded.
import { parseArgs } from "node:util";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import {
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerWritableStream,
  type ServiceDefinition,
} from "@grpc/grpc-js";
import { GenerateEvent } from "../../src/gen/llama_orch/v1/worker.js";
import { argumentParser } from "../cli-args.js";
import { writeResultsFile } from "../results-file.js";

const usage = `usage: npm run bench:transport -- [--units N] [--rounds N]

  --units N   requests or engine steps timed per row and round (default 2000)
  --rounds N  times each row runs, alternating the two shapes (default 3)`;

/** One task's step: the event a native worker writes for it today. */
function stepEvent(i: number): GenerateEvent {
  return { event: { $case: "tokens", value: { tokens: [{ t: " word", i, id: 1234, chat: [] }] } } };
}

const TASK_ID = "3f0c2a9e-6a7b-4f43-9d2e-0b8d5c1e7a11";

/** A pool step's message: `repeated { string task_id = 1; GenerateEvent event = 2; }`. */
function encodeStep(tasks: number): Uint8Array {
  const writer = new BinaryWriter();
  for (let n = 0; n < tasks; n++) {
    writer.uint32(10).fork();
    writer.uint32(10).string(TASK_ID);
    GenerateEvent.encode(stepEvent(n), writer.uint32(18).fork()).join();
    writer.join();
  }
  return writer.finish();
}

function decodeStep(bytes: Uint8Array): number {
  const reader = new BinaryReader(bytes);
  let events = 0;
  while (reader.pos < reader.len) {
    reader.uint32();
    const entry = new BinaryReader(reader.bytes());
    while (entry.pos < entry.len) {
      const tag = entry.uint32();
      if (tag === 10) entry.string();
      else GenerateEvent.decode(entry.bytes());
    }
    events++;
  }
  return events;
}

const raw = (b: Buffer) => b;
const event = {
  serialize: (e: GenerateEvent) => Buffer.from(GenerateEvent.encode(e).finish()),
  deserialize: (b: Buffer) => GenerateEvent.decode(b),
};
const service = {
  perTask: {
    path: "/bench.Transport/PerTask",
    requestStream: false,
    responseStream: true,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: event.serialize,
    responseDeserialize: event.deserialize,
  },
  pooled: {
    path: "/bench.Transport/Pooled",
    requestStream: true,
    responseStream: true,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: (b: Buffer) => decodeStep(b),
  },
} as unknown as ServiceDefinition;

/** A request names its steps and how many tasks each step carries: [steps, tasks]. */
function serve(server: Server) {
  server.addService(service, {
    perTask: (call: ServerWritableStream<Buffer, GenerateEvent>) => {
      const steps = call.request[0] ?? 0;
      for (let i = 0; i < steps; i++) call.write(stepEvent(i));
      call.end();
    },
    pooled: (call: ServerDuplexStream<Buffer, Buffer>) => {
      call.on("data", (request: Buffer) => {
        const bytes = Buffer.from(encodeStep(request[1] ?? 1));
        for (let i = 0; i < (request[0] ?? 0); i++) call.write(bytes);
      });
      call.on("end", () => call.end());
    },
  });
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Row {
  shape: string;
  what: string;
  perTaskUs: number;
  pooledUs: number;
}

interface Grpc extends Client {
  perTask(request: Buffer): ClientReadableStream<GenerateEvent>;
  pooled(): ClientDuplexStream<Buffer, number>;
}

/** CPU µs per unit for `units` rounds of `once`. */
async function timed(units: number, once: () => Promise<void>): Promise<number> {
  const started = cpuMs();
  for (let u = 0; u < units; u++) await once();
  return ((cpuMs() - started) * 1000) / units;
}

function perTaskCall(client: Grpc, steps: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = client.perTask(Buffer.from([steps]));
    call.on("data", () => undefined);
    call.on("end", resolve);
    call.on("error", reject);
  });
}

function pooledStream(client: Grpc) {
  const stream = client.pooled();
  let waiting = 0;
  let wake: () => void = () => undefined;
  stream.on("data", () => {
    if (--waiting === 0) wake();
  });
  stream.on("error", () => undefined);
  const ask = (steps: number, tasks: number) =>
    new Promise<void>((resolve) => {
      waiting = steps;
      wake = resolve;
      stream.write(Buffer.from([steps, tasks]));
    });
  return { ask, close: () => stream.end() };
}

async function main() {
  const args = argumentParser(usage);
  const { values } = parseArgs({
    options: {
      units: { type: "string", default: "2000" },
      rounds: { type: "string", default: "3" },
    },
    strict: true,
  });
  const units = args.positiveInt("units", values.units);
  const rounds = args.positiveInt("rounds", values.rounds);

  const server = new Server();
  serve(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const Transport = makeGenericClientConstructor(service, "Transport");
  const client = new Transport(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  ) as unknown as Grpc;
  const pooled = pooledStream(client);

  // Warm both paths: the first calls pay for JIT and the HTTP/2 session.
  await timed(500, () => perTaskCall(client, 1));
  await timed(500, () => pooled.ask(1, 1));

  const samples: Record<string, { perTask: number[]; pooled: number[] }> = {};
  const record = (key: string, perTask: number, pooledUs: number) => {
    samples[key] ??= { perTask: [], pooled: [] };
    samples[key].perTask.push(perTask);
    samples[key].pooled.push(pooledUs);
  };
  for (let round = 0; round < rounds; round++) {
    // A request's setup: a new call that carries one event, against one more message on the stream.
    record(
      "setup and one event",
      await timed(units, () => perTaskCall(client, 1)),
      await timed(units, () => pooled.ask(1, 1)),
    );
    // A step of c tasks: c messages (one on each task's call) against one message holding all c.
    // Each is the difference between 21 steps and 1, so neither a call's setup nor the request
    // that starts the steps on the stream is counted.
    const steps = 20;
    for (const tasks of [1, 8, 16]) {
      const calls = Math.max(1, Math.floor(units / (steps * tasks)));
      const tasksOf = (n: number) => () =>
        Promise.all(Array.from({ length: tasks }, () => perTaskCall(client, n))).then(() => {});
      const perTask = (await timed(calls, tasksOf(steps + 1))) - (await timed(calls, tasksOf(1)));
      const long = await timed(calls, () => pooled.ask(steps + 1, tasks));
      const short = await timed(calls, () => pooled.ask(1, tasks));
      const unit = steps * tasks;
      record(`step of ${tasks} task${tasks > 1 ? "s" : ""}`, perTask / unit, (long - short) / unit);
    }
  }
  pooled.close();
  client.close();
  server.forceShutdown();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const rows: Row[] = Object.entries(samples).map(([what, s]) => ({
    shape: what.startsWith("setup") ? "per request" : "per token",
    what,
    perTaskUs: median(s.perTask),
    pooledUs: median(s.pooled),
  }));
  console.log(`grpc-js ${rounds} rounds of ${units} units, medians, CPU of both ends of the hop`);
  console.log("| unit | what | Generate per task (µs) | one pool stream (µs) | saved (µs) |");
  console.log("|---|---|---:|---:|---:|");
  for (const r of rows)
    console.log(
      `| ${r.shape} | ${r.what} | ${r.perTaskUs.toFixed(1)} | ${r.pooledUs.toFixed(1)} | ${(r.perTaskUs - r.pooledUs).toFixed(1)} |`,
    );
  writeResultsFile("bench/results/transport.json", {
    units,
    rounds,
    node: process.version,
    rows,
    runs: Object.entries(samples).map(([what, s]) => ({ what, ...s })),
  });
  console.log("written to bench/results/transport.json");
}

await main();
