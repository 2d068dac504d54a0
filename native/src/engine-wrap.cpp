// EngineWrap: JS methods over EngineCore and the thread-safe event path; see engine-wrap.h.
#include "engine-wrap.h"

#include <algorithm>

#include "convert.h"

namespace orch {
namespace {

struct AddonData {
  Napi::FunctionReference engine_constructor;
};

// Step events queued towards JS before the loop blocks: the loop's backpressure bound.
constexpr size_t kMaxQueuedSteps = 64;

}  // namespace

Napi::Function EngineWrap::Define(Napi::Env env) {
  Napi::Function ctor = DefineClass(env, "NativeEngine",
                                    {
                                        InstanceMethod<&EngineWrap::Info>("info"),
                                        InstanceMethod<&EngineWrap::Tokenize>("tokenize"),
                                        InstanceMethod<&EngineWrap::Detokenize>("detokenize"),
                                        InstanceMethod<&EngineWrap::RenderChat>("renderChat"),
                                        InstanceMethod<&EngineWrap::ParseChat>("parseChat"),
                                        InstanceMethod<&EngineWrap::DiffChat>("diffChat"),
                                        InstanceMethod<&EngineWrap::Submit>("submit"),
                                        InstanceMethod<&EngineWrap::Cancel>("cancel"),
                                        InstanceMethod<&EngineWrap::Embed>("embed"),
                                        InstanceMethod<&EngineWrap::Stats>("stats"),
                                        InstanceMethod<&EngineWrap::Dispose>("dispose"),
                                    });
  auto * data = new AddonData{Napi::Persistent(ctor)};
  env.SetInstanceData<AddonData>(data);
  return ctor;
}

Napi::Object EngineWrap::Create(Napi::Env env, std::unique_ptr<EngineCore> core, Napi::Function on_events) {
  Napi::Object object = env.GetInstanceData<AddonData>()->engine_constructor.New({});
  Unwrap(object)->start(std::move(core), on_events);
  return object;
}

EngineWrap::EngineWrap(const Napi::CallbackInfo & info) : Napi::ObjectWrap<EngineWrap>(info) {}

EngineWrap::~EngineWrap() = default;

void EngineWrap::start(std::unique_ptr<EngineCore> core, Napi::Function on_events) {
  core_ = std::move(core);
  tsfn_ = Tsfn::New(Env(), on_events, "llama-orch-engine", kMaxQueuedSteps, 1, [this](Napi::Env) { on_closed(); });
  tsfn_.Unref(Env());  // an idle engine must not keep the process alive
  Ref();               // and must not be collected while its loop runs
  core_->start(this);
}

EngineCore & EngineWrap::core(Napi::Env env) {
  if (!core_ || disposed_) throw to_js_error(env, ErrorCode::EngineDisposed, "the engine was disposed; load a new one");
  return *core_;
}

void EngineWrap::deliver(StepOutput && out) {
  auto * payload = new StepOutput(std::move(out));
  const napi_status status = tsfn_.BlockingCall(payload, [this](Napi::Env env, Napi::Function fn, StepOutput * data) {
    on_step(env, fn, data);
  });
  if (status != napi_ok) delete payload;  // refused while closing: nobody is left to read it
}

void EngineWrap::closed() { tsfn_.Release(); }

void EngineWrap::embedded(EmbedResult && result) {
  auto * payload = new EmbedResult(std::move(result));
  const napi_status status = tsfn_.BlockingCall(payload, [this](Napi::Env env, Napi::Function fn, EmbedResult * data) {
    on_embedded(env, fn, data);
  });
  if (status != napi_ok) delete payload;
}

void EngineWrap::on_embedded(Napi::Env env, Napi::Function on_events, EmbedResult * result) {
  std::unique_ptr<EmbedResult> owned(result);
  if (env == nullptr) return;
  auto events = Napi::Array::New(env, 1);
  events.Set(0u, to_js(env, *owned));
  owned.reset();
  outstanding_ -= std::min<uint32_t>(outstanding_, 1);
  if (outstanding_ == 0 && !disposed_) tsfn_.Unref(env);
  on_events.Call({events});
}

void EngineWrap::on_step(Napi::Env env, Napi::Function on_events, StepOutput * out) {
  std::unique_ptr<StepOutput> owned(out);
  if (env == nullptr) return;
  const auto settled = static_cast<uint32_t>(owned->ends.size() + owned->acks.size());
  Napi::Array events = to_js(env, *owned);
  owned.reset();
  outstanding_ -= std::min(outstanding_, settled);
  if (outstanding_ == 0 && !disposed_) tsfn_.Unref(env);
  on_events.Call({events});
}

void EngineWrap::on_closed() {
  core_.reset();  // joins the loop thread, frees the context and the model
  loop_closed_ = true;
  for (auto & waiter : dispose_waiters_) waiter.Resolve(Env().Undefined());
  dispose_waiters_.clear();
  Unref();
}

void EngineWrap::hold() {
  if (outstanding_++ == 0) tsfn_.Ref(Env());
}

Napi::Value EngineWrap::Info(const Napi::CallbackInfo & info) { return to_js(info.Env(), core(info.Env()).info()); }

Napi::Value EngineWrap::Tokenize(const Napi::CallbackInfo & info) {
  const std::string text = info[0].ToString().Utf8Value();
  const bool add_special = info[1].ToBoolean().Value();
  const bool parse_special = info[2].ToBoolean().Value();
  return to_js(info.Env(), core(info.Env()).tokenize(text, add_special, parse_special));
}

Napi::Value EngineWrap::Detokenize(const Napi::CallbackInfo & info) {
  auto & engine = core(info.Env());
  try {
    return Napi::String::New(info.Env(), engine.detokenize(to_tokens(info[0])));
  } catch (const EngineError & e) {
    throw to_js_error(info.Env(), e.code(), e.what());
  }
}

Napi::Value EngineWrap::RenderChat(const Napi::CallbackInfo & info) {
  auto & engine = core(info.Env());
  try {
    if (!info[0].IsString()) throw EngineError(ErrorCode::InvalidParams, "renderChat takes the chat as JSON text");
    return to_js(info.Env(), engine.render_chat(info[0].As<Napi::String>().Utf8Value()));
  } catch (const EngineError & e) {
    throw to_js_error(info.Env(), e.code(), e.what());
  }
}

Napi::Value EngineWrap::ParseChat(const Napi::CallbackInfo & info) {
  auto & engine = core(info.Env());
  if (!info[0].IsString() || !info[1].IsString()) {
    throw to_js_error(info.Env(), ErrorCode::InvalidParams, "parseChat takes the text and the parser renderChat gave");
  }
  return to_js(info.Env(), engine.parse_chat(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value()));
}

Napi::Value EngineWrap::DiffChat(const Napi::CallbackInfo & info) {
  auto & engine = core(info.Env());
  if (!info[0].IsString() || !info[1].IsString() || !info[2].IsString()) {
    throw to_js_error(info.Env(), ErrorCode::InvalidParams, "diffChat takes the earlier text, the text and the parser renderChat gave");
  }
  std::vector<ChatDelta> deltas;
  const bool ok = engine.diff_chat(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value(),
                                   info[2].As<Napi::String>().Utf8Value(), info[3].ToBoolean().Value(), deltas);
  return ok ? Napi::Value(to_js(info.Env(), deltas)) : info.Env().Null();
}

Napi::Value EngineWrap::Submit(const Napi::CallbackInfo & info) {
  auto & engine = core(info.Env());
  try {
    if (!info[0].IsObject()) throw EngineError(ErrorCode::InvalidParams, "submit takes a request object");
    auto request = engine.prepare(to_submit_params(info[0].As<Napi::Object>(), engine));
    const uint64_t id = engine.submit(std::move(request));
    hold();
    return Napi::Number::New(info.Env(), static_cast<double>(id));
  } catch (const EngineError & e) {
    throw to_js_error(info.Env(), e.code(), e.what());
  }
}

Napi::Value EngineWrap::Cancel(const Napi::CallbackInfo & info) {
  auto & engine = core(info.Env());
  const uint64_t ack = next_ack_++;
  engine.cancel(static_cast<uint64_t>(info[0].ToNumber().Int64Value()), ack);
  hold();
  return Napi::Number::New(info.Env(), static_cast<double>(ack));
}

Napi::Value EngineWrap::Embed(const Napi::CallbackInfo & info) {
  auto & engine = core(info.Env());
  try {
    const uint64_t id = engine.embed(engine.prepare_embed(to_embed_inputs(info[0])));
    hold();
    return Napi::Number::New(info.Env(), static_cast<double>(id));
  } catch (const EngineError & e) {
    throw to_js_error(info.Env(), e.code(), e.what());
  }
}

Napi::Value EngineWrap::Stats(const Napi::CallbackInfo & info) { return to_js(info.Env(), core(info.Env()).stats()); }

Napi::Value EngineWrap::Dispose(const Napi::CallbackInfo & info) {
  auto deferred = Napi::Promise::Deferred::New(info.Env());
  if (loop_closed_ || !core_) {
    deferred.Resolve(info.Env().Undefined());
    return deferred.Promise();
  }
  dispose_waiters_.push_back(deferred);
  if (!disposed_) {
    disposed_ = true;
    tsfn_.Ref(info.Env());  // keep the process up until the loop has ended every sequence
    core_->shutdown();
  }
  return deferred.Promise();
}

}  // namespace orch
