// The prefix cache's host-RAM tier: sequence states saved from slots before their KV is dropped,
// bounded in bytes, least recently used first out; a later prompt of the same tenant that matches
// a saved state better than any slot gets it restored into its slot instead of prefilling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "llama.h"

namespace orch {

struct SavedPrompt {
  std::string tenant;
  std::vector<llama_token> tokens;  // the tokens whose KV `state` holds
  std::vector<uint8_t> state;       // llama_state_seq_get_data of the slot's sequence
};

class PromptStore {
 public:
  explicit PromptStore(size_t max_bytes) : max_bytes_(max_bytes) {}

  bool enabled() const { return max_bytes_ > 0; }
  size_t bytes() const { return bytes_; }
  size_t size() const { return entries_.size(); }
  uint64_t evictions() const { return evictions_; }

  // Keeps `entry` as the most recent; drops saved prompts of its tenant that it extends, then the
  // least recently used past the bound. An entry larger than the whole bound is not kept.
  void put(SavedPrompt entry);

  // Removes and returns the tenant's saved prompt that shares the longest usable prefix with
  // `prompt`, when that prefix is longer than `better_than` tokens.
  std::optional<SavedPrompt> take_best(const std::string & tenant, const std::vector<llama_token> & prompt,
                                       size_t better_than);

  // Drops everything (the model is unloaded).
  void clear();

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t evictions_ = 0;
  std::list<SavedPrompt> entries_;  // most recently used first
};

}  // namespace orch
