// Small string helpers shared by parsers and formatters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::str {

std::vector<std::string> Split(std::string_view s, char sep);
std::string_view Trim(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
// Parses a non-negative decimal integer that must span the whole of `s`.
bool ParseUint(std::string_view s, uint64_t* out);

}  // namespace sluice::str
