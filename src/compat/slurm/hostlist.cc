#include "compat/slurm/hostlist.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <tuple>

#include "common/strings.h"

namespace sluice::compat::slurm {
namespace {

// Guards against "n[1-999999999]" exhausting memory; far above any real cluster.
constexpr size_t kMaxHosts = 1 << 17;  // a 100,000-node cluster fits; a typo cannot eat memory

bool IsSeparator(char c) { return c == ',' || std::isspace(static_cast<unsigned char>(c)); }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Pad(uint64_t n, size_t width) {
  std::string s = std::to_string(n);
  if (s.size() < width) s.insert(0, width - s.size(), '0');
  return s;
}

Status Malformed(std::string_view hostlist, std::string_view why) {
  return InvalidArgument("invalid host list \"" + std::string(hostlist) +
                         "\": " + std::string(why));
}

// Expands the inside of one bracket pair ("1-3,5") into the numbers it names, as text.
Result<std::vector<std::string>> ExpandRanges(std::string_view whole, std::string_view inner) {
  std::vector<std::string> out;
  for (const std::string& item : str::Split(inner, ',')) {
    std::string_view part = str::Trim(item);
    size_t dash = part.find('-');
    std::string_view lo_text = part.substr(0, dash);
    std::string_view hi_text = dash == std::string_view::npos ? lo_text : part.substr(dash + 1);
    if (!AllDigits(lo_text) || !AllDigits(hi_text) || lo_text.size() > 18 || hi_text.size() > 18) {
      return Malformed(whole, "bad range \"" + std::string(part) + "\"");
    }
    uint64_t lo = 0, hi = 0;
    str::ParseUint(lo_text, &lo);
    str::ParseUint(hi_text, &hi);
    if (hi < lo) return Malformed(whole, "descending range \"" + std::string(part) + "\"");
    if (hi - lo >= kMaxHosts || out.size() + (hi - lo) >= kMaxHosts) {
      return Malformed(whole, "too many hosts");
    }
    // Slurm pads every number of a range to the lower bound's width when it has a leading zero.
    size_t width = lo_text.size() > 1 && lo_text[0] == '0' ? lo_text.size() : 0;
    for (uint64_t n = lo; n <= hi; ++n) out.push_back(Pad(n, width));
  }
  return out;
}

// Expands one host expression without top-level separators ("r[1-2]n[01-02]").
Status ExpandOne(std::string_view whole, std::string_view expr, std::vector<std::string>* out) {
  std::vector<std::string> partial = {""};
  size_t i = 0;
  while (i < expr.size()) {
    if (expr[i] == ']') return Malformed(whole, "']' without '['");
    if (expr[i] != '[') {
      size_t next = expr.find('[', i);
      size_t close = expr.find(']', i);
      if (close != std::string_view::npos && (next == std::string_view::npos || close < next)) {
        return Malformed(whole, "']' without '['");
      }
      size_t end = next == std::string_view::npos ? expr.size() : next;
      for (auto& p : partial) p.append(expr.substr(i, end - i));
      i = end;
      continue;
    }
    size_t close = expr.find(']', i);
    if (close == std::string_view::npos) return Malformed(whole, "unterminated '['");
    std::string_view inner = expr.substr(i + 1, close - i - 1);
    if (inner.find('[') != std::string_view::npos) return Malformed(whole, "nested '['");
    if (str::Trim(inner).empty()) return Malformed(whole, "empty brackets");
    SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> numbers, ExpandRanges(whole, inner));
    if (partial.size() * numbers.size() + out->size() > kMaxHosts) {
      return Malformed(whole, "too many hosts");
    }
    std::vector<std::string> next;
    next.reserve(partial.size() * numbers.size());
    for (const auto& p : partial) {
      for (const auto& n : numbers) next.push_back(p + n);
    }
    partial = std::move(next);
    i = close + 1;
  }
  for (auto& p : partial) out->push_back(std::move(p));
  return Status::Ok();
}

// A host name split as Slurm's hostlist does: a prefix and an optional numeric suffix.
struct HostKey {
  std::string prefix;
  bool numeric = false;
  size_t width = 0;  // digits to pad to; 0: natural width
  uint64_t number = 0;

  auto Tie() const { return std::tie(prefix, numeric, width, number); }
  bool operator<(const HostKey& o) const { return Tie() < o.Tie(); }
  bool operator==(const HostKey& o) const { return Tie() == o.Tie(); }
};

HostKey SplitHost(const std::string& host) {
  HostKey key;
  size_t digits = 0;
  while (digits < host.size() && digits < 18 &&
         std::isdigit(static_cast<unsigned char>(host[host.size() - 1 - digits]))) {
    ++digits;
  }
  if (digits == 0) {
    key.prefix = host;
    return key;
  }
  std::string_view num(host.data() + host.size() - digits, digits);
  key.prefix = host.substr(0, host.size() - digits);
  key.numeric = true;
  key.width = num.size() > 1 && num[0] == '0' ? num.size() : 0;
  str::ParseUint(num, &key.number);
  return key;
}

std::string NumberText(const HostKey& k) { return Pad(k.number, k.width); }

}  // namespace

Result<std::vector<std::string>> ExpandHostlist(std::string_view hostlist) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < hostlist.size()) {
    if (IsSeparator(hostlist[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    int depth = 0;
    while (i < hostlist.size() && (depth > 0 || !IsSeparator(hostlist[i]))) {
      if (hostlist[i] == '[') ++depth;
      if (hostlist[i] == ']') --depth;
      if (depth < 0) return Malformed(hostlist, "']' without '['");
      if (depth > 1) return Malformed(hostlist, "nested '['");
      ++i;
    }
    if (depth != 0) return Malformed(hostlist, "unterminated '['");
    SLUICE_RETURN_IF_ERROR(ExpandOne(hostlist, hostlist.substr(start, i - start), &out));
  }
  return out;
}

std::string CompressHostlist(const std::vector<std::string>& hosts) {
  std::vector<HostKey> keys;
  keys.reserve(hosts.size());
  for (const auto& h : hosts) {
    if (!h.empty()) keys.push_back(SplitHost(h));
  }
  // An unpadded number as wide as a padded group of the same prefix belongs to that group
  // ("n08,n09,n10" -> "n[08-10]"), as in Slurm.
  for (auto& k : keys) {
    if (!k.numeric || k.width != 0) continue;
    size_t len = std::to_string(k.number).size();
    for (const auto& other : keys) {
      if (other.numeric && other.width == len && other.prefix == k.prefix) {
        k.width = len;
        break;
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());

  std::string out;
  size_t i = 0;
  while (i < keys.size()) {
    if (!out.empty()) out += ',';
    if (!keys[i].numeric) {
      out += keys[i].prefix;
      ++i;
      continue;
    }
    size_t end = i;
    while (end < keys.size() && keys[end].numeric && keys[end].prefix == keys[i].prefix) ++end;
    out += keys[i].prefix;
    if (end - i == 1) {
      out += NumberText(keys[i]);
      i = end;
      continue;
    }
    out += '[';
    bool first = true;
    size_t j = i;
    while (j < end) {
      size_t k = j;
      while (k + 1 < end && keys[k + 1].width == keys[j].width &&
             keys[k + 1].number == keys[k].number + 1) {
        ++k;
      }
      if (!first) out += ',';
      first = false;
      out += NumberText(keys[j]);
      if (k > j) out += '-' + NumberText(keys[k]);
      j = k + 1;
    }
    out += ']';
    i = end;
  }
  return out;
}

}  // namespace sluice::compat::slurm
