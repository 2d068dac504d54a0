// Which free slot a new request takes, and how much of that slot's cached KV it keeps: the prefix
// cache's policy, apart from the loop so a plain C++ test can table-test it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "llama.h"

namespace orch {

// What the policy sees of one slot.
struct SlotView {
  bool busy = false;
  const std::vector<llama_token> * tokens = nullptr;  // the tokens whose KV the slot holds
  const std::string * tenant = nullptr;               // who computed them
  const std::string * session_key = nullptr;          // "" unless a session parked its KV here
  int64_t last_used_us = 0;
  bool strict = false;                                  // a strict task runs here: its KV is not shared
  const std::vector<llama_token> * prompt = nullptr;  // the running request's prompt, when busy
};

struct SlotQuery {
  const std::vector<llama_token> * prompt = nullptr;
  const std::string * tenant = nullptr;
  const std::string * session_key = nullptr;
  bool strict = false;  // a strict task never reuses cache: only a cold prefill is byte-identical to one
};

struct SlotChoice {
  static constexpr size_t kNone = static_cast<size_t>(-1);
  size_t slot = kNone;  // kNone: every slot is busy
  size_t keep = 0;      // cached tokens the request reuses; the slot drops the rest
  bool evicts = false;  // the slot held another prompt's cache, dropped (wholly or mostly) for this one
  size_t donor = kNone;  // another slot whose first `keep` tokens of KV are copied into `slot`
};

// Tokens of `slot`'s cache the request may reuse: the longest common prefix with its prompt, within
// one tenant only, always leaving the last prompt token to evaluate (its logits start generation).
size_t reusable_prefix(const SlotView & slot, const SlotQuery & query);
// The same for any cached token list, tenant already checked.
size_t usable_prefix(const std::vector<llama_token> & cached, const std::vector<llama_token> & prompt);

// Order: the request's own parked session; a cache hit that keeps at least half of what the slot
// holds; an empty slot; a partial hit of at least kMinPartialHit tokens; the least recently used
// anonymous cache (keeping nothing); the least recently used parked session (keeping what its
// history shares with the prompt). The empty slot or cache a miss takes is the one that leaves the
// fewest runs of consecutive busy slots (llama.cpp decodes one such run per pass), then the lowest
// empty slot or the least recently used cache. Then, when another slot of the tenant (busy, or a
// parked session) holds a prefix longer by kMinCopyGain, the chosen slot gets a copy of that KV
// instead: a shared system prompt is computed once, and an agent's history parked under a session
// serves the same history sent without one.
SlotChoice choose_slot(const std::vector<SlotView> & slots, const SlotQuery & query);

// True while a busy slot of the tenant is prefilling a prompt that shares at least kMinCopyGain
// more tokens with this request than the request could reuse in place, and at least
// kMinPartialHit of them are still to be computed: waiting and copying them costs less than
// computing the same tokens twice side by side.
bool wait_for_shared_prefix(const std::vector<SlotView> & slots, const SlotQuery & query);

// Below this a partial hit is not worth destroying a slot's cache for (every prompt shares its BOS).
constexpr size_t kMinPartialHit = 16;
// A copy moves a whole KV stream (all of a slot's context): worth it only for a real saving.
constexpr size_t kMinCopyGain = 64;

}  // namespace orch
