// The one logging facade: severity plus key=value fields, one line per event, to stderr or a file.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace sluice::log {

enum class Severity { kDebug, kInfo, kWarning, kError };

// Sends later lines to `path` (appending); an empty path means stderr.
void SetOutput(const std::string& path);
void SetMinSeverity(Severity s);
bool Enabled(Severity s);
void Write(Severity s, std::string_view component, const std::string& line);

// Builds one line: Line(kInfo, "ctld").Msg("started").Kv("port", 80);  written when destroyed.
class Line {
 public:
  Line(Severity s, std::string_view component) : s_(s), component_(component) {}
  ~Line() {
    if (Enabled(s_)) Write(s_, component_, os_.str());
  }
  Line& Msg(std::string_view m) {
    os_ << m;
    return *this;
  }
  template <typename T>
  Line& Kv(std::string_view k, const T& v) {
    os_ << ' ' << k << '=' << v;
    return *this;
  }

 private:
  Severity s_;
  std::string_view component_;
  std::ostringstream os_;
};

}  // namespace sluice::log

#define SLOG_INFO(comp) ::sluice::log::Line(::sluice::log::Severity::kInfo, comp)
#define SLOG_WARN(comp) ::sluice::log::Line(::sluice::log::Severity::kWarning, comp)
#define SLOG_ERROR(comp) ::sluice::log::Line(::sluice::log::Severity::kError, comp)
#define SLOG_DEBUG(comp) ::sluice::log::Line(::sluice::log::Severity::kDebug, comp)
