#include "rpc/rest_client.h"

#include <google/protobuf/util/json_util.h>

#include "rpc/http_client.h"
#include "sluice/v1/status.pb.h"

namespace sluice::rpc {

namespace pbu = google::protobuf::util;

struct RestClient::Impl {
  Endpoint endpoint;
};

RestClient::RestClient(Endpoint endpoint) : impl_(std::make_unique<Impl>()) {
  impl_->endpoint = std::move(endpoint);
}

RestClient::~RestClient() = default;
RestClient::RestClient(RestClient&&) noexcept = default;
RestClient& RestClient::operator=(RestClient&&) noexcept = default;

Code CodeFromHttp(int s) {
  switch (s) {
    case 400:
      return Code::kInvalidArgument;
    case 401:
      return Code::kUnauthenticated;
    case 403:
      return Code::kPermissionDenied;
    case 404:
      return Code::kNotFound;
    case 409:
      return Code::kAlreadyExists;
    case 412:
      return Code::kFailedPrecondition;
    case 503:
      return Code::kUnavailable;
    default:
      return s >= 200 && s < 300 ? Code::kOk : Code::kInternal;
  }
}

int HttpFromCode(Code c) {
  switch (c) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
      return 409;
    case Code::kFailedPrecondition:
      return 412;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

Status RestClient::Call(const std::string& method, const std::string& path,
                        const google::protobuf::Message* request,
                        google::protobuf::Message* response) {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", "Bearer " + impl_->endpoint.token}};
  std::string body;
  if (request != nullptr) {
    pbu::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    if (!pbu::MessageToJsonString(*request, &body, opts).ok()) {
      return Internal("cannot encode the request");
    }
  }
  auto res = HttpCall(impl_->endpoint.rest, method, path, headers, body, 60000);
  if (!res.ok()) {
    return Unavailable("cannot reach the controller at " + impl_->endpoint.rest +
                       "; is the cluster up? (`sluice status`): " + res.status().message());
  }
  pbu::JsonParseOptions popts;
  popts.ignore_unknown_fields = true;
  if (res->status < 200 || res->status >= 300) {
    v1::ErrorResponse err;
    if (pbu::JsonStringToMessage(res->body, &err, popts).ok() && !err.message().empty()) {
      return Status(CodeFromHttp(res->status), err.message());
    }
    return Status(CodeFromHttp(res->status),
                  "controller answered HTTP " + std::to_string(res->status));
  }
  if (response != nullptr && !pbu::JsonStringToMessage(res->body, response, popts).ok()) {
    return Internal("cannot parse the controller's answer");
  }
  return Status::Ok();
}

}  // namespace sluice::rpc
