// ChatFormatter: llama.cpp common's chat templates, tool-call formats and JSON-schema grammars.
#include "core/chat-format.h"

#include <regex>

#include "chat.h"
#include "common.h"
#include "json.h"
#include "core/errors.h"

namespace orch {
namespace {

[[noreturn]] void invalid(const std::string & message) { throw EngineError(ErrorCode::InvalidParams, message); }

// What common's sampler does with each trigger kind, as regexes over the generated text.
std::vector<std::string> trigger_patterns(const std::vector<common_grammar_trigger> & triggers) {
  std::vector<std::string> out;
  for (const auto & t : triggers) {
    switch (t.type) {
      case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN: out.push_back(t.value); break;
      case COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL: {
        const auto & p = t.value;
        out.push_back(p.empty() ? "^$" : (p.front() != '^' ? "^" : "") + p + (p.back() != '$' ? "$" : ""));
        break;
      }
      // A token trigger matches its text: the engine streams tokens as text.
      case COMMON_GRAMMAR_TRIGGER_TYPE_WORD:
      case COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN: out.push_back(regex_escape(t.value)); break;
    }
  }
  return out;
}

// OpenAI's required (or named) tool_choice makes the answer the call itself; common's grammar
// still lets free text come first (`until-N?` before the calls in root), which a weak model fills
// until max_tokens. Dropping that from root leaves the calls alone; the other rules are unused.
std::string calls_only(const std::string & grammar) {
  size_t start = grammar.rfind("root ::= ", 0) == 0 ? 0 : grammar.find("\nroot ::= ");
  if (start == std::string::npos) return grammar;
  if (start != 0) ++start;
  const auto end = grammar.find('\n', start);
  const std::string root = grammar.substr(start, end - start);
  const std::string trimmed = std::regex_replace(root, std::regex(" until-[0-9]+\\??"), "");
  return grammar.substr(0, start) + trimmed + (end == std::string::npos ? "" : grammar.substr(end));
}

common_chat_templates_inputs to_inputs(const common_json & body) {
  common_chat_templates_inputs in;
  in.use_jinja = true;
  in.messages = common_chat_msgs_parse_oaicompat(body.at("messages"));
  in.tools = common_chat_tools_parse_oaicompat(body.value("tools", common_json::array()));
  in.tool_choice = common_chat_tool_choice_parse_oaicompat(body.value("tool_choice", std::string("auto")));
  in.parallel_tool_calls = body.value("parallel_tool_calls", false);
  if (body.contains("json_schema") && !body.at("json_schema").is_null()) in.json_schema = body.at("json_schema").dump();
  in.add_generation_prompt = body.value("add_generation_prompt", true);
  in.reasoning_format = COMMON_REASONING_FORMAT_AUTO;
  return in;
}

common_chat_parser_params parser_params(const std::string & parser) {
  const auto blob = common_json::parse(parser);
  common_chat_parser_params params;
  params.format = static_cast<common_chat_format>(blob.at("format").get<int>());
  params.generation_prompt = blob.at("generation_prompt").get<std::string>();
  const auto peg = blob.at("parser").get<std::string>();
  if (!peg.empty()) params.parser.load(peg);
  params.reasoning_format = COMMON_REASONING_FORMAT_AUTO;
  return params;
}

ChatDelta to_delta(const common_chat_msg_diff & d) {
  ChatDelta out;
  out.content = d.content_delta;
  out.reasoning_content = d.reasoning_content_delta;
  if (d.tool_call_index != std::string::npos) {
    out.tool_call_index = static_cast<int32_t>(d.tool_call_index);
    out.id = d.tool_call_delta.id;
    out.name = d.tool_call_delta.name;
    out.arguments = d.tool_call_delta.arguments;
  }
  return out;
}

}  // namespace

void ChatFormatter::TemplatesDeleter::operator()(common_chat_templates * t) const { common_chat_templates_free(t); }

ChatFormatter::ChatFormatter(const llama_model * model, const std::string & template_override)
    : templates_(common_chat_templates_init(model, template_override).release()) {}

ChatFormatter::~ChatFormatter() = default;

ChatRender ChatFormatter::render(const std::string & request_json) const {
  common_chat_params params;
  bool forced = false;
  try {
    const auto inputs = to_inputs(common_json::parse(request_json));
    if (inputs.messages.empty()) invalid("messages is empty: give at least one turn");
    const bool wants_tools = !inputs.tools.empty() && inputs.tool_choice != COMMON_CHAT_TOOL_CHOICE_NONE;
    if (wants_tools && !common_chat_templates_get_caps(templates_.get())["supports_tool_calls"]) {
      invalid("this model's chat template does not support tools; give the pool a chat_template_file that does, or send no tools");
    }
    forced = wants_tools && inputs.tool_choice == COMMON_CHAT_TOOL_CHOICE_REQUIRED;
    params = common_chat_templates_apply(templates_.get(), inputs);
  } catch (const EngineError &) {
    throw;
  } catch (const std::exception & e) {
    // common throws for bad tool schemas, messages the template refuses, and schemas it cannot convert.
    invalid(std::string("the chat could not be rendered with the model's template: ") + e.what());
  }
  ChatRender out;
  out.prompt = std::move(params.prompt);
  out.grammar = std::move(params.grammar);
  out.grammar_lazy = params.grammar_lazy && !out.grammar.empty();
  if (forced && !out.grammar_lazy) out.grammar = calls_only(out.grammar);
  // common's sampler feeds a format grammar the generation prompt first: it starts with it.
  if (!out.grammar.empty() && !out.grammar_lazy) out.grammar_prefill = params.generation_prompt;
  out.grammar_triggers = trigger_patterns(params.grammar_triggers);
  out.stops = std::move(params.additional_stops);
  auto blob = common_json::object();
  blob["format"] = static_cast<int>(params.format);
  blob["generation_prompt"] = params.generation_prompt;
  blob["parser"] = params.parser;
  out.parser = blob.dump();
  return out;
}

ChatParse ChatFormatter::parse(const std::string & text, const std::string & parser) const {
  ChatParse out;
  try {
    const common_chat_msg msg = common_chat_parse(text, false, parser_params(parser));
    out.content = msg.content;
    out.reasoning_content = msg.reasoning_content;
    for (const auto & call : msg.tool_calls) out.tool_calls.push_back({call.id, call.name, call.arguments});
  } catch (const std::exception &) {
    // An answer the format cannot parse (cut off by max_tokens, say) is returned as it is.
    out = ChatParse{text, "", {}};
  }
  return out;
}

// What llama-server streams: each step re-parses the answer so far and diffs it with the last.
bool ChatFormatter::diff(const std::string & previous, const std::string & text, const std::string & parser, bool final,
                         std::vector<ChatDelta> & out) const {
  try {
    const auto params = parser_params(parser);
    const common_chat_msg before = previous.empty() ? common_chat_msg{} : common_chat_parse(previous, true, params);
    const common_chat_msg after = common_chat_parse(text, !final, params);
    for (const auto & d : common_chat_msg_diff::compute_diffs(before, after)) out.push_back(to_delta(d));
    return true;
  } catch (const std::exception &) {
    return false;
  }
}

}  // namespace orch
