// The CLI's side of the REST API: JSON over HTTP carrying the API's protobuf messages.
#pragma once

#include <google/protobuf/message.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "rpc/endpoint.h"

namespace sluice::rpc {

class RestClient {
 public:
  explicit RestClient(Endpoint endpoint);
  ~RestClient();
  RestClient(RestClient&&) noexcept;
  RestClient& operator=(RestClient&&) noexcept;

  // Sends `request` (nullptr: no body) to `path` and parses the reply into `response`.
  // A failed call returns the controller's error (its code and one-line message).
  Status Call(const std::string& method, const std::string& path,
              const google::protobuf::Message* request, google::protobuf::Message* response);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Maps an HTTP status to a canonical code, and back (the server side uses the latter).
Code CodeFromHttp(int http_status);
int HttpFromCode(Code code);

}  // namespace sluice::rpc
