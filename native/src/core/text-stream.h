// Turns token pieces into emit-safe text: whole UTF-8 characters only, stop strings held back and cut.
#pragma once

#include <string>
#include <vector>

namespace orch {

class TextStream {
 public:
  explicit TextStream(std::vector<std::string> stops);

  // Appends one token's bytes and returns the text that is now safe to emit. After a stop string
  // matches, stopped() is true and the returned text ends right before the stop string.
  std::string push(const std::string & piece);

  // Everything still held back (a partial stop match, an unfinished character) at the end.
  std::string flush();

  bool stopped() const { return stopped_; }

 private:
  size_t held_suffix_length() const;

  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

// Bytes at the end of `text` that start a UTF-8 character not yet complete.
size_t incomplete_utf8_tail(const std::string & text);

}  // namespace orch
