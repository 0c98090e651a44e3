#include "ctld/rest_server.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "common/strings.h"
#include "rpc/convert.h"
#include "rpc/rest_client.h"
#include "sluice/v1/status.pb.h"

namespace sluice::ctld {

namespace pbu = google::protobuf::util;

namespace {

void Reply(httplib::Response& res, const Status& st, const google::protobuf::Message* body) {
  std::string json;
  pbu::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  if (st.ok()) {
    (void)pbu::MessageToJsonString(*body, &json, opts);
    res.status = 200;
  } else {
    v1::ErrorResponse err;
    err.set_code(std::string(CodeName(st.code())));
    err.set_message(st.message());
    (void)pbu::MessageToJsonString(err, &json, opts);
    res.status = rpc::HttpFromCode(st.code());
  }
  res.set_content(json, "application/json");
}

// Parses the JSON body into `req`; a malformed body is a 400, never a crash.
Status ParseBody(const httplib::Request& http, google::protobuf::Message* req) {
  if (http.body.empty()) return Status::Ok();
  pbu::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = pbu::JsonStringToMessage(http.body, req, opts);
  if (!st.ok()) return InvalidArgument("malformed request body: " + std::string(st.message()));
  return Status::Ok();
}

std::vector<std::string> ListParam(const httplib::Request& http, const char* name) {
  std::vector<std::string> out;
  if (!http.has_param(name)) return out;
  for (auto& v : str::Split(http.get_param_value(name), ',')) {
    if (!v.empty()) out.push_back(v);
  }
  return out;
}

// The comma-separated "job_id" parameter.
Status JobIdsParam(const httplib::Request& http, google::protobuf::RepeatedField<uint32_t>* out) {
  for (const auto& id : ListParam(http, "job_id")) {
    uint64_t v = 0;
    if (!str::ParseUint(id, &v) || v > UINT32_MAX) return InvalidArgument("invalid job id: " + id);
    out->Add(static_cast<uint32_t>(v));
  }
  return Status::Ok();
}

// The comma-separated "state" parameter (Slurm's names, long or short, any case).
Status StatesParam(const httplib::Request& http, google::protobuf::RepeatedField<int>* out) {
  for (const auto& t : ListParam(http, "state")) {
    auto state = core::model::ParseJobState(t);
    if (!state) return InvalidArgument("invalid job state: " + t);
    out->Add(rpc::ToProto(*state));
  }
  return Status::Ok();
}

// A time parameter in Unix seconds; absent leaves *out alone.
Status SecondsParam(const httplib::Request& http, const char* name, int64_t* out) {
  if (!http.has_param(name)) return Status::Ok();
  const std::string text = http.get_param_value(name);
  uint64_t v = 0;
  if (!str::ParseUint(text, &v) || v > INT64_MAX) {
    return InvalidArgument(std::string("invalid ") + name + " (Unix seconds): " + text);
  }
  *out = static_cast<int64_t>(v);
  return Status::Ok();
}

}  // namespace

RestServer::RestServer(Api* api, std::string token) : api_(api), token_(std::move(token)) {}

RestServer::~RestServer() { Shutdown(); }

Status RestServer::Start(const std::string& host, int port, int* bound_port) {
  server_ = std::make_unique<httplib::Server>();
  auto& s = *server_;
  const std::string expected = "Bearer " + token_;
  s.set_pre_routing_handler([expected](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/metrics") return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") != expected) {
      Reply(res, Unauthenticated("missing or wrong cluster token"), nullptr);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // POST routes: a JSON body in, a JSON body out.
  auto post = [&](const char* path, auto method, auto req_proto, auto resp_proto) {
    s.Post(path, [this, method](const httplib::Request& http, httplib::Response& res) {
      decltype(req_proto) req;
      decltype(resp_proto) resp;
      Status st = ParseBody(http, &req);
      if (st.ok()) st = (api_->*method)(req, &resp);
      Reply(res, st, &resp);
    });
  };
  post("/api/v1/jobs", &Api::Submit, v1::SubmitJobRequest{}, v1::SubmitJobResponse{});
  post("/api/v1/jobs:cancel", &Api::Cancel, v1::CancelJobsRequest{}, v1::CancelJobsResponse{});
  post("/api/v1/jobs:hold", &Api::Hold, v1::HoldJobsRequest{}, v1::HoldJobsResponse{});
  post("/api/v1/jobs:update", &Api::UpdateJob, v1::UpdateJobRequest{}, v1::UpdateJobResponse{});
  post("/api/v1/nodes:update", &Api::UpdateNodes, v1::UpdateNodesRequest{},
       v1::UpdateNodesResponse{});
  post("/api/v1/partitions:update", &Api::UpdatePartition, v1::UpdatePartitionRequest{},
       v1::UpdatePartitionResponse{});
  post("/api/v1/jobs:release", &Api::Release, v1::ReleaseJobsRequest{}, v1::ReleaseJobsResponse{});
  post("/api/v1/jobs:list", &Api::ListJobs, v1::ListJobsRequest{}, v1::ListJobsResponse{});
  post("/api/v1/accounting/jobs:list", &Api::ListAccountingJobs, v1::ListAccountingJobsRequest{},
       v1::ListAccountingJobsResponse{});
  post("/api/v1/reservations", &Api::CreateReservation, v1::CreateReservationRequest{},
       v1::CreateReservationResponse{});
  post("/api/v1/reservations:update", &Api::UpdateReservation, v1::UpdateReservationRequest{},
       v1::UpdateReservationResponse{});
  post("/api/v1/reservations:delete", &Api::DeleteReservation, v1::DeleteReservationRequest{},
       v1::DeleteReservationResponse{});
  s.Get("/api/v1/reservations", [this](const httplib::Request&, httplib::Response& res) {
    v1::ListReservationsRequest req;
    v1::ListReservationsResponse resp;
    Reply(res, api_->ListReservations(req, &resp), &resp);
  });

  s.Get("/api/v1/jobs", [this](const httplib::Request& http, httplib::Response& res) {
    v1::ListJobsRequest req;
    v1::ListJobsResponse resp;
    Status st = JobIdsParam(http, req.mutable_filter()->mutable_job_ids());
    for (const auto& u : ListParam(http, "user")) req.mutable_filter()->add_users(u);
    for (const auto& p : ListParam(http, "partition")) req.mutable_filter()->add_partitions(p);
    for (const auto& n : ListParam(http, "name")) req.mutable_filter()->add_names(n);
    if (st.ok()) st = StatesParam(http, req.mutable_filter()->mutable_states());
    req.set_include_finished(http.has_param("all"));
    req.set_full(http.has_param("full"));
    if (st.ok()) st = api_->ListJobs(req, &resp);
    Reply(res, st, &resp);
  });
  s.Get("/api/v1/accounting/jobs", [this](const httplib::Request& http, httplib::Response& res) {
    v1::ListAccountingJobsRequest req;
    v1::ListAccountingJobsResponse resp;
    v1::AccountingFilter* filter = req.mutable_filter();
    Status st = JobIdsParam(http, filter->mutable_job_ids());
    for (const auto& u : ListParam(http, "user")) filter->add_users(u);
    for (const auto& a : ListParam(http, "account")) filter->add_accounts(a);
    for (const auto& p : ListParam(http, "partition")) filter->add_partitions(p);
    for (const auto& n : ListParam(http, "name")) filter->add_names(n);
    if (st.ok()) st = StatesParam(http, filter->mutable_states());
    int64_t start = 0, end = 0;
    if (st.ok()) st = SecondsParam(http, "start", &start);
    if (st.ok()) st = SecondsParam(http, "end", &end);
    filter->set_start_time(start);
    filter->set_end_time(end);
    if (st.ok()) st = api_->ListAccountingJobs(req, &resp);
    Reply(res, st, &resp);
  });
  s.Get(R"(/api/v1/jobs/(\d+))", [this](const httplib::Request& http, httplib::Response& res) {
    v1::GetJobRequest req;
    v1::GetJobResponse resp;
    uint64_t id = 0;
    Status st = str::ParseUint(http.matches[1].str(), &id) && id <= UINT32_MAX
                    ? Status::Ok()
                    : InvalidArgument("invalid job id");
    req.set_job_id(static_cast<uint32_t>(id));
    if (st.ok()) st = api_->GetJob(req, &resp);
    Reply(res, st, &resp);
  });
  s.Get("/api/v1/nodes", [this](const httplib::Request& http, httplib::Response& res) {
    v1::ListNodesRequest req;
    v1::ListNodesResponse resp;
    for (const auto& n : ListParam(http, "name")) req.add_names(n);
    Reply(res, api_->ListNodes(req, &resp), &resp);
  });
  s.Get(R"(/api/v1/nodes/([^/]+))", [this](const httplib::Request& http, httplib::Response& res) {
    v1::GetNodeRequest req;
    v1::GetNodeResponse resp;
    req.set_name(http.matches[1].str());
    Reply(res, api_->GetNode(req, &resp), &resp);
  });
  s.Get("/api/v1/partitions", [this](const httplib::Request&, httplib::Response& res) {
    v1::ListPartitionsRequest req;
    v1::ListPartitionsResponse resp;
    Reply(res, api_->ListPartitions(req, &resp), &resp);
  });
  s.Get(R"(/api/v1/partitions/([^/]+))",
        [this](const httplib::Request& http, httplib::Response& res) {
          v1::GetPartitionRequest req;
          v1::GetPartitionResponse resp;
          req.set_name(http.matches[1].str());
          Reply(res, api_->GetPartition(req, &resp), &resp);
        });
  s.Get("/api/v1/cluster", [this](const httplib::Request&, httplib::Response& res) {
    v1::GetClusterRequest req;
    v1::ClusterInfo resp;
    Reply(res, api_->GetCluster(req, &resp), &resp);
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(api_->Metrics(), "text/plain; version=0.0.4");
  });
  s.set_payload_max_length(64 << 20);
  // A path no route takes answers with the API's error body, as every other error does, rather
  // than an empty 404.
  s.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (res.status != 404 || !res.body.empty()) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        Reply(res, NotFound("no such API call: " + req.method + " " + req.path), nullptr);
        return httplib::Server::HandlerResponse::Handled;
      }));

  if (port == 0) {
    *bound_port = s.bind_to_any_port(host);
  } else {
    *bound_port = s.bind_to_port(host, port) ? port : -1;
  }
  if (*bound_port <= 0) {
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) + " for REST");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void RestServer::Shutdown() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace sluice::ctld
