// TextStream: UTF-8 characters are never split, stop strings are held back and cut exactly.
#include "check.h"
#include "core/text-stream.h"

using orch::TextStream;

TEST_CASE("passes plain text straight through") {
  TextStream s({});
  CHECK_EQ(s.push("Hello"), "Hello");
  CHECK_EQ(s.push(" world"), " world");
  CHECK_EQ(s.flush(), "");
}

TEST_CASE("holds a split UTF-8 character until it is complete") {
  TextStream s({});
  const std::string euro = "\xE2\x82\xAC";  // U+20AC in three bytes
  CHECK_EQ(s.push("a" + euro.substr(0, 1)), "a");
  CHECK_EQ(s.push(euro.substr(1, 1)), "");
  CHECK_EQ(s.push(euro.substr(2, 1) + "b"), euro + "b");
}

TEST_CASE("holds a possible stop prefix and releases it when it diverges") {
  TextStream s({"</end>"});
  CHECK_EQ(s.push("one </e"), "one ");
  CHECK(!s.stopped());
  CHECK_EQ(s.push("xtra"), "</extra");
}

TEST_CASE("cuts right before a stop string spread over tokens") {
  TextStream s({"STOP"});
  CHECK_EQ(s.push("abc ST"), "abc ");
  CHECK_EQ(s.push("OP and more"), "");
  CHECK(s.stopped());
  CHECK_EQ(s.push("ignored"), "");
}

TEST_CASE("the earliest of several stop strings wins") {
  TextStream s({"zz", "b"});
  CHECK_EQ(s.push("a b zz"), "a ");
  CHECK(s.stopped());
}

TEST_CASE("empty stop strings are ignored") {
  TextStream s({""});
  CHECK_EQ(s.push("text"), "text");
  CHECK(!s.stopped());
}

TEST_CASE("flush gives back what was held at the end") {
  TextStream s({"STOP"});
  CHECK_EQ(s.push("tail ST"), "tail ");
  CHECK_EQ(s.flush(), "ST");
}
