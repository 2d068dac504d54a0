// `llama-orch artifacts ls | get | put | diff`: the artifact registry (transcripts, plans, diffs).
import { readFile, writeFile } from "node:fs/promises";
import { Metadata } from "@grpc/grpc-js";
import type { Command } from "commander";
import type { Artifact, ListArtifactsResponse } from "../gen/llama_orch/v1/artifacts.js";
import {
  type ClientOptions,
  type Control,
  callOptions,
  clientCommand,
  rpc,
  withControl,
} from "./control-client.js";
import { bytes, paint, printJson, table } from "./output.js";
import { integer } from "./parse.js";
import { diffableLines, diffLines } from "./text-diff.js";

function meta(a: Artifact) {
  const { content: _, ...rest } = a;
  return { ...rest, created: new Date(a.createdMs).toISOString() };
}

function get(control: Control, id: string): Promise<Artifact> {
  return rpc<Artifact>(control.addr, (cb) =>
    control.artifacts.getArtifact({ id }, new Metadata(), callOptions(), cb),
  );
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface PutOptions extends ClientOptions {
  kind: string;
  contentType?: string;
  tag: string[];
  parent?: string;
}

function registerReadWrite(artifacts: Command): void {
  clientCommand(artifacts.command("get <id>"))
    .description("write an artifact's content to stdout (or --out FILE); --json: its metadata too")
    .option("--out <file>", "write the content here")
    .action((id: string, options: ClientOptions & { out?: string }) =>
      withControl(options, async (control) => {
        const artifact = await get(control, id);
        if (options.json)
          return printJson({
            ...meta(artifact),
            content: Buffer.from(artifact.content).toString("base64"),
          });
        if (options.out) await writeFile(options.out, artifact.content);
        else process.stdout.write(artifact.content);
      }),
    );
  clientCommand(artifacts.command("put [file]"))
    .description("store a file (or stdin) as an artifact; prints its content-addressed id")
    .option("--kind <kind>", "plan | summary | diff | trace | transcript | logs | other", "other")
    .option("--content-type <type>", "e.g. text/plain; default application/octet-stream")
    .option("--tag <tag>", "tag (repeatable)", (v: string, all: string[]) => [...all, v], [])
    .option("--parent <id>", "the artifact this one derives from")
    .action((file: string | undefined, options: PutOptions) =>
      withControl(options, async (control) => {
        const content = file ? await readFile(file) : await readStdin();
        const request = {
          kind: options.kind,
          content,
          contentType: options.contentType ?? "",
          tags: options.tag,
          parent: options.parent ?? "",
          metadata: {},
        };
        const stored = await rpc<Artifact>(control.addr, (cb) =>
          control.artifacts.createArtifact(request, new Metadata(), callOptions(), cb),
        );
        if (options.json) printJson(meta(stored));
        else process.stdout.write(`${stored.id}\n`);
      }),
    );
}

export function registerArtifacts(program: Command): void {
  const artifacts = program
    .command("artifacts")
    .description("list, read, store and diff artifacts");
  clientCommand(artifacts.command("ls"))
    .description("stored artifacts, newest first")
    .option("--kind <kind>", "only this kind")
    .option("--limit <n>", "at most this many", integer(1), 50)
    .action((options: ClientOptions & { kind?: string; limit: number }) =>
      withControl(options, async (control) => {
        const request = { kind: options.kind ?? "", limit: options.limit, pageToken: "" };
        const { artifacts: list } = await rpc<ListArtifactsResponse>(control.addr, (cb) =>
          control.artifacts.listArtifacts(request, new Metadata(), callOptions(), cb),
        );
        if (options.json) return printJson(list.map(meta));
        const rows = list.map((a) => [
          a.id,
          a.kind,
          a.contentType,
          bytes(a.sizeBytes),
          new Date(a.createdMs).toISOString(),
          a.tags.join(","),
        ]);
        process.stdout.write(
          table(
            "Artifacts",
            ["ID", "KIND", "TYPE", "SIZE", "CREATED", "TAGS"],
            rows,
            "no artifacts",
          ),
        );
      }),
    );
  registerReadWrite(artifacts);
  clientCommand(artifacts.command("diff <before> <after>"))
    .description(
      "line diff of two text artifacts, or of two transcripts' generated text and events",
    )
    .action((before: string, after: string, options: ClientOptions) =>
      withControl(options, async (control) => {
        const [a, b] = await Promise.all([get(control, before), get(control, after)]);
        const lines = diffLines(
          diffableLines(Buffer.from(a.content), a.contentType),
          diffableLines(Buffer.from(b.content), b.contentType),
        );
        if (options.json) return printJson({ before, after, lines });
        const colour = { "-": "red", "+": "green", " ": "dim" } as const;
        process.stdout.write(`--- ${before}\n+++ ${after}\n`);
        for (const line of lines)
          process.stdout.write(`${paint(`${line.op} ${line.text}`, colour[line.op])}\n`);
        if (lines.some((l) => l.op !== " ")) process.exitCode = 1;
      }),
    );
}
