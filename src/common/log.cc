#include "common/log.h"

#include <cstdio>
#include <ctime>
#include <mutex>

namespace sluice::log {
namespace {
std::mutex g_mu;
FILE* g_out = nullptr;  // nullptr: stderr
Severity g_min = Severity::kInfo;

const char* Tag(Severity s) {
  switch (s) {
    case Severity::kDebug:
      return "DEBUG";
    case Severity::kInfo:
      return "INFO";
    case Severity::kWarning:
      return "WARN";
    case Severity::kError:
      return "ERROR";
  }
  return "?";
}
}  // namespace

void SetOutput(const std::string& path) {
  std::lock_guard lock(g_mu);
  if (g_out != nullptr) fclose(g_out);
  g_out = path.empty() ? nullptr : fopen(path.c_str(), "ae");
}

void SetMinSeverity(Severity s) { g_min = s; }
bool Enabled(Severity s) { return s >= g_min; }

void Write(Severity s, std::string_view component, const std::string& line) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  localtime_r(&ts.tv_sec, &t);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &t);
  std::lock_guard lock(g_mu);
  FILE* f = g_out != nullptr ? g_out : stderr;
  fprintf(f, "%s.%03ld %s %.*s: %s\n", stamp, ts.tv_nsec / 1000000, Tag(s),
          static_cast<int>(component.size()), component.data(), line.c_str());
  fflush(f);
}

}  // namespace sluice::log
