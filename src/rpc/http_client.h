// A minimal HTTP/1.1 client: one request per connection, plain TCP, no TLS.
//
// Why not cpp-httplib here: Debian builds it as a shared library linked with OpenSSL, zlib and
// brotli, and loading those costs ~3.7 ms at every CLI start (measured here), more than half of
// what a whole Slurm `squeue` takes. Scripts call sbatch and squeue in loops, so the CLI speaks
// this much HTTP itself; the controller keeps cpp-httplib as its server.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sluice::rpc {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// Sends one request to host:port and reads the whole answer. Unavailable if the server cannot be
// reached or answers garbage; `timeout_ms` bounds connecting and each read.
Result<HttpResponse> HttpCall(const std::string& host_port, const std::string& method,
                              const std::string& path,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body, int timeout_ms);

}  // namespace sluice::rpc
