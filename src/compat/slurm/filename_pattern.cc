#include "compat/slurm/filename_pattern.h"

#include <algorithm>
#include <cctype>

namespace sluice::compat::slurm {

std::string ExpandFilenamePattern(std::string_view pattern, const FilenameContext& ctx) {
  std::string out;
  if (pattern.find('\\') != std::string_view::npos) {
    for (char c : pattern) {
      if (c != '\\') out += c;
    }
    return out;
  }
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] != '%') {
      out += pattern[i++];
      continue;
    }
    size_t j = i + 1;
    size_t width = 0;
    while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) {
      width = std::min<size_t>(width * 10 + (pattern[j] - '0'), 64);
      ++j;
    }
    if (j >= pattern.size()) {  // a trailing '%' (or "%12") stays as written
      out.append(pattern.substr(i));
      break;
    }
    char spec = pattern[j];
    switch (spec) {
      case '%':
        out += '%';
        break;
      case 'j':
      case 'J':
      case 'A': {
        std::string id = std::to_string(ctx.job_id);
        if (id.size() < width) out.append(width - id.size(), '0');
        out += id;
        break;
      }
      case 'x':
        out += ctx.job_name;
        break;
      case 'u':
        out += ctx.user;
        break;
      case 'N':
        if (ctx.node.empty()) {
          out.append(pattern.substr(i, j + 1 - i));
        } else {
          out += ctx.node;
        }
        break;
      default:
        out.append(pattern.substr(i, j + 1 - i));
        break;
    }
    i = j + 1;
  }
  return out;
}

std::string DefaultStdoutPattern() { return "slurm-%j.out"; }

}  // namespace sluice::compat::slurm
