#include "rpc/endpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sluice::rpc {

namespace fs = std::filesystem;

std::string DefaultStateDir() {
  if (const char* env = getenv("SLUICE_STATE_DIR"); env != nullptr && *env != '\0') {
    return fs::absolute(env).lexically_normal().string();
  }
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  for (fs::path p = cwd; !p.empty(); p = p.parent_path()) {
    if (fs::exists(p / kDefaultStateDir / kControllerFile, ec)) {
      return (p / kDefaultStateDir).string();
    }
    if (p == p.root_path()) break;
  }
  return (cwd / kDefaultStateDir).string();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path + ": " + strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFileAtomic(const std::string& path, const std::string& content, int mode) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Internal("cannot write " + tmp + ": " + strerror(errno));
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      return Internal("cannot write " + tmp + ": " + strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  fsync(fd);
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return Internal("cannot rename " + tmp + ": " + strerror(errno));
  }
  return Status::Ok();
}

Result<Endpoint> ReadEndpoint(const std::string& state_dir) {
  auto text = ReadFile(state_dir + "/" + kControllerFile);
  if (!text.ok()) {
    return Unavailable("no cluster at " + state_dir +
                       " (start one with `sluice up`, or set SLUICE_STATE_DIR or SLUICE_URI)");
  }
  Endpoint e;
  try {
    auto j = nlohmann::json::parse(*text);
    e.rest = j.at("rest").get<std::string>();
    e.grpc = j.at("grpc").get<std::string>();
  } catch (const std::exception& ex) {
    return Internal("corrupt " + state_dir + "/" + kControllerFile + ": " + ex.what());
  }
  auto token = ReadFile(state_dir + "/" + kTokenFile);
  if (!token.ok()) return PermissionDenied("cannot read the cluster token in " + state_dir);
  e.token = std::string(*token);
  while (!e.token.empty() && (e.token.back() == '\n' || e.token.back() == '\r')) {
    e.token.pop_back();
  }
  return e;
}

Result<Endpoint> ResolveEndpoint() {
  const char* uri = getenv("SLUICE_URI");
  if (uri != nullptr && *uri != '\0') {
    Endpoint e;
    std::string u = uri;
    if (u.rfind("http://", 0) == 0) u = u.substr(7);
    while (!u.empty() && u.back() == '/') u.pop_back();
    e.rest = u;
    if (const char* t = getenv("SLUICE_TOKEN"); t != nullptr) {
      e.token = t;
    } else if (const char* tf = getenv("SLUICE_TOKEN_FILE"); tf != nullptr) {
      auto token = ReadFile(tf);
      if (!token.ok()) return token.status();
      e.token = *token;
      while (!e.token.empty() && e.token.back() == '\n') e.token.pop_back();
    }
    return e;
  }
  return ReadEndpoint(DefaultStateDir());
}

Status WriteEndpoint(const std::string& state_dir, const Endpoint& endpoint) {
  nlohmann::json j = {{"rest", endpoint.rest}, {"grpc", endpoint.grpc}};
  return WriteFileAtomic(state_dir + "/" + kControllerFile, j.dump() + "\n", 0600);
}

Result<std::string> EnsureToken(const std::string& state_dir) {
  std::string path = state_dir + "/" + kTokenFile;
  if (auto existing = ReadFile(path); existing.ok() && !existing->empty()) {
    std::string t = *existing;
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
  }
  unsigned char raw[32];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, raw, sizeof raw) != static_cast<ssize_t>(sizeof raw)) {
    if (fd >= 0) close(fd);
    return Internal("cannot read /dev/urandom for the cluster token");
  }
  close(fd);
  static const char* kHex = "0123456789abcdef";
  std::string token;
  for (unsigned char c : raw) {
    token += kHex[c >> 4];
    token += kHex[c & 15];
  }
  SLUICE_RETURN_IF_ERROR(WriteFileAtomic(path, token + "\n", 0600));
  return token;
}

Status EnsurePrivateDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Internal("cannot create " + dir + ": " + ec.message());
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) return Internal("cannot stat " + dir);
  if (st.st_uid != geteuid()) return PermissionDenied(dir + " belongs to another user");
  if ((st.st_mode & 077) != 0 && chmod(dir.c_str(), 0700) != 0) {
    return PermissionDenied("cannot make " + dir + " private (0700)");
  }
  return Status::Ok();
}

}  // namespace sluice::rpc
