// The REST side of the API: JSON over HTTP at /api/v1/..., the same protobuf messages through
// protobuf's JSON mapping, a bearer token on every call, and Prometheus text at /metrics.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "ctld/api.h"

namespace httplib {
class Server;
}

namespace sluice::ctld {

class RestServer {
 public:
  RestServer(Api* api, std::string token);
  ~RestServer();

  // Binds host:port (port 0 picks one) and serves on a thread of its own.
  Status Start(const std::string& host, int port, int* bound_port);
  void Shutdown();

 private:
  Api* api_;
  std::string token_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace sluice::ctld
