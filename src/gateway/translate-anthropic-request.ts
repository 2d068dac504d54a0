// Anthropic Messages bodies (contracts/openapi/anthropic.yaml) into the surface-neutral chat
// request: blocks become turns, tool_use and tool_result become tool calls and tool turns.
import { OrchError } from "../common/errors.js";
import type { components } from "../gen/openapi/anthropic.js";
import type { ChatRequest, ChatToolCall, ChatToolChoice, ChatTurn } from "./chat-request.js";

type Schemas = components["schemas"];
export type MessagesRequest = Schemas["MessagesRequest"];
export type CountTokensRequest = Schemas["CountTokensRequest"];
type InputMessage = Schemas["InputMessage"];
type Block = Exclude<InputMessage["content"], string>[number];
type ToolResult = Schemas["ToolResultBlock"];

function invalid(at: string, why: string): OrchError {
  return new OrchError("INVALID_PARAMS", `${at}: ${why}`);
}

function unreadable(at: string, type: string): OrchError {
  return invalid(at, `${type} blocks cannot be read: the served models take text only`);
}

function systemText(system: MessagesRequest["system"]): string {
  if (system === undefined) return "";
  return typeof system === "string" ? system : system.map((block) => block.text).join("\n");
}

/** A tool result's content as text; Anthropic's is_error has no template slot, so it is said. */
function resultText(block: ToolResult, at: string): string {
  const content = block.content ?? "";
  const text =
    typeof content === "string"
      ? content
      : content
          .map((part, k) => {
            if (part.type === "text") return (part as Schemas["TextBlock"]).text;
            throw unreadable(`${at}.content[${k}]`, part.type);
          })
          .join("\n");
  return block.is_error ? `Error: ${text}` : text;
}

/** A user message: its tool results as tool turns (in order), its text as one user turn. */
function userTurns(blocks: Block[], at: string, names: Map<string, string>): ChatTurn[] {
  const turns: ChatTurn[] = [];
  const text: string[] = [];
  blocks.forEach((block, j) => {
    const where = `${at}.content[${j}]`;
    if (block.type === "text") text.push((block as Schemas["TextBlock"]).text);
    else if (block.type === "tool_result") {
      const result = block as ToolResult;
      const content = resultText(result, where);
      const turn: ChatTurn = { role: "tool", content, toolCallId: result.tool_use_id };
      const name = names.get(result.tool_use_id);
      if (name !== undefined) turn.name = name;
      turns.push(turn);
    } else if (block.type === "tool_use")
      throw invalid(where, "tool_use blocks are the assistant's");
    else if (block.type !== "thinking" && block.type !== "redacted_thinking") {
      throw unreadable(where, block.type);
    }
  });
  if (text.length > 0) turns.push({ role: "user", content: text.join("\n") });
  return turns;
}

/** An assistant message: its text and its tool calls; earlier thinking is not replayed. */
function assistantTurn(blocks: Block[], at: string, names: Map<string, string>): ChatTurn {
  const text: string[] = [];
  const toolCalls: ChatToolCall[] = [];
  blocks.forEach((block, j) => {
    if (block.type === "text") text.push((block as Schemas["TextBlock"]).text);
    else if (block.type === "tool_use") {
      const use = block as Schemas["ToolUseBlock"];
      names.set(use.id, use.name);
      toolCalls.push({ id: use.id, name: use.name, arguments: JSON.stringify(use.input) });
    } else if (block.type === "tool_result") {
      throw invalid(`${at}.content[${j}]`, "tool_result blocks belong in a user message");
    } else if (block.type !== "thinking" && block.type !== "redacted_thinking") {
      throw unreadable(`${at}.content[${j}]`, block.type);
    }
  });
  return { role: "assistant", content: text.join(""), toolCalls };
}

function toTurns(body: CountTokensRequest): ChatTurn[] {
  const system = systemText(body.system);
  const turns: ChatTurn[] = system === "" ? [] : [{ role: "system", content: system }];
  // tool_use ids to tool names: a tool turn carries the name some templates print.
  const names = new Map<string, string>();
  body.messages.forEach((message, i) => {
    const blocks: Block[] =
      typeof message.content === "string"
        ? [{ type: "text", text: message.content }]
        : message.content;
    const at = `messages[${i}]`;
    if (message.role === "assistant") turns.push(assistantTurn(blocks, at, names));
    else turns.push(...userTurns(blocks, at, names));
  });
  return turns;
}

function toToolChoice(body: CountTokensRequest): ChatToolChoice {
  const choice = body.tool_choice;
  const names = (body.tools ?? []).map((tool) => tool.name);
  if (choice === undefined) return { mode: names.length > 0 ? "auto" : "none" };
  if (choice.type !== "none" && names.length === 0) {
    throw invalid("tool_choice", `type ${choice.type} needs at least one tool in tools`);
  }
  if (choice.type === "auto" || choice.type === "none") return { mode: choice.type };
  if (choice.type === "any") return { mode: "required" };
  if (!choice.name || !names.includes(choice.name)) {
    throw invalid("tool_choice.name", `"${choice.name ?? ""}" is not one of tools (${names})`);
  }
  return { mode: "function", name: choice.name };
}

/**
 * The chat request of a Messages body (count_tokens bodies have no max_tokens: 1 stands in,
 * as nothing is generated). Throws INVALID_PARAMS naming the block that cannot apply.
 */
export function toChatRequest(
  body: MessagesRequest | CountTokensRequest,
  sessionId: string | undefined,
): ChatRequest {
  const messages = "max_tokens" in body ? (body as MessagesRequest) : undefined;
  return {
    model: body.model,
    messages: toTurns(body),
    tools: (body.tools ?? []).map((tool) => ({
      name: tool.name,
      description: tool.description ?? "",
      parameters: tool.input_schema,
    })),
    toolChoice: toToolChoice(body),
    parallelToolCalls: body.tool_choice?.disable_parallel_tool_use !== true,
    responseFormat: { type: "text" },
    sampling: {
      temperature: messages?.temperature,
      topP: messages?.top_p,
      topK: messages?.top_k,
    },
    maxTokens: messages?.max_tokens ?? 1,
    stop: messages?.stop_sequences ?? [],
    ignoreEos: false,
    sessionId,
    user: messages?.metadata?.user_id ?? undefined,
  };
}
