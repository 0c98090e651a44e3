#include "rpc/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace sluice::rpc {

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool WaitFd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int rc;
  do {
    rc = poll(&p, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

Status Unreachable(const std::string& where, const std::string& why) {
  return Unavailable("cannot reach " + where + ": " + why);
}

// Decodes a chunked body (RFC 9112 7.1); false if malformed.
bool Dechunk(std::string_view in, std::string* out) {
  while (true) {
    size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) return false;
    size_t size = strtoul(std::string(in.substr(0, eol)).c_str(), nullptr, 16);
    in.remove_prefix(eol + 2);
    if (size == 0) return true;
    if (in.size() < size + 2) return false;
    out->append(in.substr(0, size));
    in.remove_prefix(size + 2);
  }
}

}  // namespace

Result<HttpResponse> HttpCall(const std::string& host_port, const std::string& method,
                              const std::string& path,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body, int timeout_ms) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("bad address " + host_port);
  const std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return Unreachable(host_port, gai_strerror(rc));
  }
  int raw = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  Fd fd(raw);
  int rc = raw < 0 ? -1 : connect(raw, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (raw < 0) return Unreachable(host_port, strerror(errno));
  if (rc != 0 && errno != EINPROGRESS) return Unreachable(host_port, strerror(errno));
  if (rc != 0) {
    if (!WaitFd(raw, POLLOUT, timeout_ms)) return Unreachable(host_port, "connection timed out");
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(raw, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Unreachable(host_port, strerror(err));
  }
  int one = 1;
  setsockopt(raw, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  std::string req =
      method + " " + path + " HTTP/1.1\r\nHost: " + host_port + "\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req += body;
  for (size_t sent = 0; sent < req.size();) {
    ssize_t n = send(raw, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFd(raw, POLLOUT, timeout_ms)) return Unreachable(host_port, "send timed out");
      continue;
    }
    if (n <= 0) return Unreachable(host_port, strerror(errno));
    sent += static_cast<size_t>(n);
  }

  std::string in;
  size_t header_end = std::string::npos;
  long content_length = -1;
  bool chunked = false;
  HttpResponse out;
  char buf[65536];
  while (true) {
    if (header_end != std::string::npos && content_length >= 0 &&
        in.size() >= header_end + static_cast<size_t>(content_length)) {
      break;
    }
    ssize_t n = recv(raw, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFd(raw, POLLIN, timeout_ms)) return Unreachable(host_port, "read timed out");
      continue;
    }
    if (n < 0) return Unreachable(host_port, strerror(errno));
    if (n == 0) break;
    in.append(buf, static_cast<size_t>(n));
    if (header_end == std::string::npos) {
      size_t pos = in.find("\r\n\r\n");
      if (pos == std::string::npos) continue;
      header_end = pos + 4;
      std::string_view head(in.data(), pos);
      // "HTTP/1.1 200 OK"
      if (head.size() < 12 || !str::StartsWith(head, "HTTP/1.")) {
        return Unavailable("malformed HTTP answer from " + host_port);
      }
      out.status = atoi(std::string(head.substr(9, 3)).c_str());
      for (const auto& line : str::Split(head, '\n')) {
        auto c = line.find(':');
        if (c == std::string::npos) continue;
        std::string key = str::ToLower(str::Trim(line.substr(0, c)));
        std::string value(str::Trim(line.substr(c + 1)));
        if (key == "content-length") content_length = atol(value.c_str());
        if (key == "transfer-encoding" && str::ToLower(value) == "chunked") chunked = true;
      }
    }
  }
  if (header_end == std::string::npos) return Unavailable("no HTTP answer from " + host_port);
  std::string_view payload(in.data() + header_end, in.size() - header_end);
  if (chunked) {
    if (!Dechunk(payload, &out.body)) return Unavailable("truncated answer from " + host_port);
  } else {
    if (content_length >= 0 && payload.size() < static_cast<size_t>(content_length)) {
      return Unavailable("truncated answer from " + host_port);
    }
    out.body.assign(payload.substr(0, content_length >= 0 ? content_length : payload.size()));
  }
  return out;
}

}  // namespace sluice::rpc
