// The gRPC side of the API: the agents' stream and the same operations REST offers.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "ctld/api.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace sluice::ctld {

class GrpcServer {
 public:
  GrpcServer(Api* api, std::string token);
  ~GrpcServer();

  // Listens on `address` (host:port; port 0 picks one); the port bound is stored in *port.
  Status Start(const std::string& address, int* port);
  void Shutdown();

 private:
  Api* api_;
  std::string token_;
  std::unique_ptr<grpc::Service> jobs_, nodes_, partitions_, cluster_, reservations_, accounting_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace sluice::ctld
