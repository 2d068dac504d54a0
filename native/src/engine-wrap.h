// The JS class over EngineCore: parses arguments, posts commands, delivers step events through one
// thread-safe function.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/engine-core.h"

namespace orch {

class EngineWrap : public Napi::ObjectWrap<EngineWrap>, private EventSink {
 public:
  static Napi::Function Define(Napi::Env env);
  // Called by the load worker on the JS thread once the model is loaded.
  static Napi::Object Create(Napi::Env env, std::unique_ptr<EngineCore> core, Napi::Function on_events);

  explicit EngineWrap(const Napi::CallbackInfo & info);
  ~EngineWrap() override;

 private:
  Napi::Value Info(const Napi::CallbackInfo & info);
  Napi::Value Tokenize(const Napi::CallbackInfo & info);
  Napi::Value Detokenize(const Napi::CallbackInfo & info);
  Napi::Value RenderChat(const Napi::CallbackInfo & info);
  Napi::Value ParseChat(const Napi::CallbackInfo & info);
  Napi::Value DiffChat(const Napi::CallbackInfo & info);
  Napi::Value Submit(const Napi::CallbackInfo & info);
  Napi::Value Cancel(const Napi::CallbackInfo & info);
  Napi::Value Embed(const Napi::CallbackInfo & info);
  Napi::Value Stats(const Napi::CallbackInfo & info);
  Napi::Value Dispose(const Napi::CallbackInfo & info);

  // EventSink, on the loop thread.
  void deliver(StepOutput && out) override;
  void closed() override;
  void embedded(EmbedResult && result) override;

  void start(std::unique_ptr<EngineCore> core, Napi::Function on_events);
  void on_step(Napi::Env env, Napi::Function on_events, StepOutput * out);
  void on_embedded(Napi::Env env, Napi::Function on_events, EmbedResult * result);
  void on_closed();
  void hold();
  void release();
  EngineCore & core(Napi::Env env);

  using Tsfn = Napi::ThreadSafeFunction;
  std::unique_ptr<EngineCore> core_;
  Tsfn tsfn_;
  uint64_t next_ack_ = 1;
  uint32_t outstanding_ = 0;  // sequences and cancels awaiting events: keeps Node's loop alive
  bool disposed_ = false;
  bool loop_closed_ = false;
  std::vector<Napi::Promise::Deferred> dispose_waiters_;
};

}  // namespace orch
