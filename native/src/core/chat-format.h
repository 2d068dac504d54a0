// Chat formats through llama.cpp common: a model's Jinja template rendered with tools and a JSON
// schema (the grammar constraining the answer), and the answer parsed back into text and tool calls.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llama.h"

struct common_chat_templates;

namespace orch {

struct ChatRender {
  std::string prompt;
  std::string grammar;  // empty: free output
  bool grammar_lazy = false;
  std::vector<std::string> grammar_triggers;  // regexes that start a lazy grammar
  std::vector<std::string> stops;
  std::string parser;  // opaque (JSON): the chat format and its parser, for parse()
  std::string grammar_prefill;  // the prompt's tail the (non-lazy) grammar starts with
};

struct ChatToolCallOut {
  std::string id;
  std::string name;
  std::string arguments;
};

struct ChatParse {
  std::string content;
  std::string reasoning_content;
  std::vector<ChatToolCallOut> tool_calls;
};

// One step of a parsed answer's growth, as llama.cpp common diffs it: new content or reasoning
// text, or a tool call's new part (its id and name when it first appears, then arguments text).
struct ChatDelta {
  std::string content;
  std::string reasoning_content;
  int32_t tool_call_index = -1;  // -1: not about a call
  std::string id;
  std::string name;
  std::string arguments;
};

class ChatFormatter {
 public:
  // template_override: Jinja text used instead of the model's; empty: the model's own.
  ChatFormatter(const llama_model * model, const std::string & template_override);
  ~ChatFormatter();
  ChatFormatter(const ChatFormatter &) = delete;
  ChatFormatter & operator=(const ChatFormatter &) = delete;

  // request_json: {messages, tools, tool_choice, parallel_tool_calls, json_schema,
  // add_generation_prompt} in OpenAI's shapes. Throws EngineError (InvalidParams).
  ChatRender render(const std::string & request_json) const;
  // Never throws for a malformed answer: what does not parse stays content.
  ChatParse parse(const std::string & text, const std::string & parser) const;
  // What the answer gained from `previous` to `text` (a longer prefix of the same answer), both
  // parsed as partial unless `final` (text is the whole answer). False when common cannot diff
  // them (a parse that took back what it gave); then nothing is added.
  bool diff(const std::string & previous, const std::string & text, const std::string & parser, bool final,
            std::vector<ChatDelta> & out) const;

 private:
  struct TemplatesDeleter {
    void operator()(common_chat_templates * t) const;
  };
  std::unique_ptr<common_chat_templates, TemplatesDeleter> templates_;
};

}  // namespace orch
