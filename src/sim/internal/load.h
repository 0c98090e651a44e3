// Reading a trace file whole and parsing it, the same way for every trace format.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sluice::sim::internal {

// Reads the file at `path` and returns `parse(text)`. Fails with NotFound when the file cannot
// be read (`what` names the kind of file in the message), and with InvalidArgument carrying the
// path when the parser fails.
template <typename Parse>
auto LoadAndParse(const std::string& path, const char* what, Parse&& parse)
    -> decltype(parse(std::string_view{})) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(std::string("cannot read ") + what + " " + path + ": check the path");
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  auto parsed = parse(text);
  if (!parsed.ok()) return InvalidArgument(path + ": " + parsed.status().message());
  return parsed;
}

}  // namespace sluice::sim::internal
