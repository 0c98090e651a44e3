#include "sim/swf.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "sim/internal/load.h"

namespace sluice::sim {
namespace {

constexpr int kFields = 18;
// 2^63, the first magnitude a 64-bit integer does not hold.
constexpr double kBeyondWhole = 9223372036854775808.0;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// "; MaxProcs: 93312" -> sets *out when the key matches and the value is a number.
void HeaderValue(std::string_view comment, std::string_view key, uint32_t* out) {
  comment = Trim(comment);
  if (comment.substr(0, key.size()) != key) return;
  std::string_view rest = Trim(comment.substr(key.size()));
  if (rest.empty() || rest.front() != ':') return;
  rest = Trim(rest.substr(1));
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec == std::errc() && p != rest.data()) *out = v;
}

}  // namespace

Result<SwfTrace> ParseSwf(std::string_view text) {
  SwfTrace trace;
  uint64_t line_no = 0;
  double f[kFields];
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    line = Trim(line);
    if (line.empty()) continue;
    if (line.front() == ';') {
      HeaderValue(line.substr(1), "MaxProcs", &trace.max_procs);
      HeaderValue(line.substr(1), "MaxNodes", &trace.max_nodes);
      continue;
    }
    int n = 0;
    const char* p = line.data();
    const char* end = line.data() + line.size();
    while (p < end) {
      while (p < end && IsSpace(*p)) ++p;
      if (p == end) break;
      const char* start = p;
      while (p < end && !IsSpace(*p)) ++p;
      if (n == kFields) {
        return InvalidArgument("SWF line " + std::to_string(line_no) +
                               ": more than 18 fields; is this a Standard Workload Format file?");
      }
      auto [q, ec] = std::from_chars(start, p, f[n]);
      if (ec != std::errc() || q != p || !std::isfinite(f[n])) {
        return InvalidArgument("SWF line " + std::to_string(line_no) + ": field " +
                               std::to_string(n + 1) + " is not a number: '" +
                               std::string(start, p) + "'");
      }
      // The fields are whole numbers read as 64-bit integers (below), where a value past their
      // range had no defined conversion.
      if (std::fabs(f[n]) >= kBeyondWhole) {
        return InvalidArgument("SWF line " + std::to_string(line_no) + ": field " +
                               std::to_string(n + 1) + " is out of range: '" +
                               std::string(start, p) + "'");
      }
      ++n;
    }
    if (n != kFields) {
      return InvalidArgument("SWF line " + std::to_string(line_no) + ": " + std::to_string(n) +
                             " fields, expected 18");
    }
    ++trace.records;
    // Fields are 1-based in the SWF definition: f[k - 1] is field k.
    const auto whole = [&](int field) { return static_cast<int64_t>(f[field - 1]); };
    int64_t procs = whole(8) > 0 ? whole(8) : whole(5);
    const int64_t run = whole(4);
    if (procs <= 0 || run <= 0 || procs > UINT32_MAX) {
      ++trace.dropped;
      continue;
    }
    SimJob job;
    job.id = static_cast<uint64_t>(std::max<int64_t>(whole(1), 0));
    job.submit = std::max<int64_t>(whole(2), 0);
    job.procs = static_cast<uint32_t>(procs);
    job.user = whole(12);
    job.run = run;
    if (whole(9) > 0) {
      job.estimate = whole(9);
      if (job.run > job.estimate) {
        job.run = job.estimate;
        ++trace.capped;
      }
    } else {
      job.estimate = job.run;
      ++trace.exact_estimates;
    }
    trace.jobs.push_back(job);
  }
  return trace;
}

Result<SwfTrace> LoadSwf(const std::string& path) {
  return internal::LoadAndParse(path, "trace",
                                [](std::string_view text) { return ParseSwf(text); });
}

uint32_t MachineProcs(const SwfTrace& trace) {
  if (trace.max_procs > 0) return trace.max_procs;
  if (trace.max_nodes > 0) return trace.max_nodes;
  uint32_t widest = 0;
  for (const auto& j : trace.jobs) widest = std::max(widest, j.procs);
  return widest;
}

}  // namespace sluice::sim
