#include "exec/internal/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace sluice::exec::internal {
namespace {

using nlohmann::json;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Strict enough for nlohmann's serializer, which throws on anything it would not emit.
bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

json EncodeString(const std::string& s) {
  if (IsValidUtf8(s)) return s;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(s.size() * 2);
  for (unsigned char c : s) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 0xF]);
  }
  return json{{"hex", hex}};
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Throws (caught by the callers) on malformed input, like nlohmann's own accessors.
std::string DecodeString(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  const std::string hex = j.at("hex").get<std::string>();
  if (hex.size() % 2 != 0) throw std::runtime_error("odd hex string");
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexDigit(hex[i]), lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) throw std::runtime_error("bad hex digit");
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

json EncodeList(const std::vector<std::string>& v) {
  json a = json::array();
  for (const auto& s : v) a.push_back(EncodeString(s));
  return a;
}

std::vector<std::string> DecodeList(const json& a) {
  std::vector<std::string> v;
  for (const auto& j : a) v.push_back(DecodeString(j));
  return v;
}

}  // namespace

sigset_t SupervisorSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGPIPE}) sigaddset(&set, sig);
  sigaddset(&set, ForwardSignal());
  sigaddset(&set, TimeLimitSignal());
  return set;
}

std::string SpecToJson(const LaunchSpec& spec) {
  json j{
      {"job_id", spec.job_id},
      {"argv", EncodeList(spec.argv)},
      {"environment", EncodeList(spec.environment)},
      {"work_dir", EncodeString(spec.work_dir)},
      {"stdout_path", EncodeString(spec.stdout_path)},
      {"stderr_path", EncodeString(spec.stderr_path)},
      {"time_limit_s", spec.time_limit_s},
      {"kill_wait_s", spec.kill_wait_s},
  };
  return j.dump();
}

Result<LaunchSpec> SpecFromJson(const std::string& text) {
  try {
    json j = json::parse(text);
    LaunchSpec spec;
    spec.job_id = j.at("job_id").get<uint32_t>();
    spec.argv = DecodeList(j.at("argv"));
    spec.environment = DecodeList(j.at("environment"));
    spec.work_dir = DecodeString(j.at("work_dir"));
    spec.stdout_path = DecodeString(j.at("stdout_path"));
    spec.stderr_path = DecodeString(j.at("stderr_path"));
    spec.time_limit_s = j.at("time_limit_s").get<int64_t>();
    spec.kill_wait_s = j.at("kill_wait_s").get<int64_t>();
    return spec;
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("malformed job spec: ") + e.what());
  }
}

std::string OutcomeToJson(const JobOutcome& o) {
  json j{
      {"exit_code", o.exit_code}, {"term_signal", o.term_signal}, {"timed_out", o.timed_out},
      {"cancelled", o.cancelled}, {"start_time", o.start_time},   {"end_time", o.end_time},
      {"error", o.error},
  };
  // The error text is for people: replace stray bytes rather than fail.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<JobOutcome> OutcomeFromJson(const std::string& text) {
  try {
    json j = json::parse(text);
    JobOutcome o;
    o.exit_code = j.at("exit_code").get<int>();
    o.term_signal = j.at("term_signal").get<int>();
    o.timed_out = j.at("timed_out").get<bool>();
    o.cancelled = j.at("cancelled").get<bool>();
    o.start_time = j.at("start_time").get<int64_t>();
    o.end_time = j.at("end_time").get<int64_t>();
    o.error = j.at("error").get<std::string>();
    return o;
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("malformed job outcome: ") + e.what());
  }
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound(path + " does not exist");
    return Internal(Errno("cannot open " + path));
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = Internal(Errno("cannot read " + path));
      close(fd);
      return st;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

Status WriteFileAtomic(const std::string& path, const std::string& content, mode_t mode) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Internal(Errno("cannot create " + tmp));
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = Internal(Errno("cannot write " + tmp));
      close(fd);
      unlink(tmp.c_str());
      return st;
    }
    off += static_cast<size_t>(n);
  }
  // No fsync: the files must survive a crash of the agent, which the page cache already
  // guarantees; after a machine crash the jobs are gone anyway ("supervisor lost").
  if (close(fd) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = Internal(Errno("cannot write " + path));
    unlink(tmp.c_str());
    return st;
  }
  return Status::Ok();
}

Result<JobOutcome> ReadOutcome(const std::string& job_dir) {
  SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFile(job_dir + "/" + kOutcomeFile));
  return OutcomeFromJson(text);
}

Status WriteOutcome(const std::string& job_dir, const JobOutcome& outcome) {
  return WriteFileAtomic(job_dir + "/" + kOutcomeFile, OutcomeToJson(outcome), 0644);
}

std::optional<pid_t> ReadPidFile(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text->c_str(), &end, 10);
  if (errno != 0 || end == text->c_str() || v <= 0 || v > INT32_MAX) return std::nullopt;
  return static_cast<pid_t>(v);
}

}  // namespace sluice::exec::internal
