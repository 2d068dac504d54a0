// Emit-safe text from token pieces: see text-stream.h.
#include "core/text-stream.h"

#include <algorithm>

namespace orch {

size_t incomplete_utf8_tail(const std::string & text) {
  // Walk back over at most 3 continuation bytes to the lead byte and compare its declared length.
  const size_t n = text.size();
  for (size_t back = 1; back <= std::min<size_t>(4, n); ++back) {
    const auto byte = static_cast<unsigned char>(text[n - back]);
    if ((byte & 0xC0) == 0x80) continue;  // continuation byte
    size_t need = 1;
    if ((byte & 0xE0) == 0xC0) need = 2;
    else if ((byte & 0xF0) == 0xE0) need = 3;
    else if ((byte & 0xF8) == 0xF0) need = 4;
    return need > back ? back : 0;
  }
  return 0;
}

TextStream::TextStream(std::vector<std::string> stops) : stops_(std::move(stops)) {
  stops_.erase(std::remove(stops_.begin(), stops_.end(), std::string()), stops_.end());
}

size_t TextStream::held_suffix_length() const {
  // The longest suffix of pending_ that could still grow into a stop string must wait.
  size_t held = 0;
  for (const auto & stop : stops_) {
    const size_t max_len = std::min(stop.size() - 1, pending_.size());
    for (size_t len = max_len; len > held; --len) {
      if (pending_.compare(pending_.size() - len, len, stop, 0, len) == 0) {
        held = len;
        break;
      }
    }
  }
  return std::max(held, incomplete_utf8_tail(pending_));
}

std::string TextStream::push(const std::string & piece) {
  if (stopped_) return {};
  pending_ += piece;
  size_t cut = std::string::npos;
  for (const auto & stop : stops_) {
    cut = std::min(cut, pending_.find(stop));
  }
  if (cut != std::string::npos) {
    stopped_ = true;
    std::string out = pending_.substr(0, cut);
    pending_.clear();
    return out;
  }
  const size_t keep = held_suffix_length();
  std::string out = pending_.substr(0, pending_.size() - keep);
  pending_.erase(0, pending_.size() - keep);
  return out;
}

std::string TextStream::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace orch
