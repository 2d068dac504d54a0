// The load AsyncWorker: EngineCore construction on a libuv worker thread; see load-worker.h.
#include "load-worker.h"

#include <memory>

#include "convert.h"
#include "engine-wrap.h"

namespace orch {
namespace {

class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, LoadParams params, Napi::Function on_events)
      : Napi::AsyncWorker(env, "llama-orch-load"),
        deferred_(Napi::Promise::Deferred::New(env)),
        params_(std::move(params)),
        on_events_(Napi::Persistent(on_events)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    // No exception may cross back to the JS thread: keep the code, report through SetError.
    try {
      core_ = std::make_unique<EngineCore>(params_);
    } catch (const EngineError & e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::exception & e) {
      code_ = ErrorCode::ModelLoadFailed;
      SetError(std::string("model load failed: ") + e.what());
    }
  }

  void OnOK() override { deferred_.Resolve(EngineWrap::Create(Env(), std::move(core_), on_events_.Value())); }

  void OnError(const Napi::Error & error) override {
    deferred_.Reject(to_js_error(Env(), code_, error.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  LoadParams params_;
  Napi::FunctionReference on_events_;
  std::unique_ptr<EngineCore> core_;
  ErrorCode code_ = ErrorCode::Internal;
};

}  // namespace

Napi::Value LoadEngine(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsFunction()) {
    throw to_js_error(env, ErrorCode::InvalidParams, "loadEngine(options, onEvents) takes an options object and a function");
  }
  LoadParams params;
  try {
    params = to_load_params(info[0].As<Napi::Object>());
  } catch (const EngineError & e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(to_js_error(env, e.code(), e.what()).Value());
    return deferred.Promise();
  }
  auto * worker = new LoadWorker(env, std::move(params), info[1].As<Napi::Function>());
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace orch
