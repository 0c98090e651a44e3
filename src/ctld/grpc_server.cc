#include "ctld/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <thread>

#include "common/log.h"
#include "rpc/convert.h"
#include "sluice/v1/accounting.grpc.pb.h"
#include "sluice/v1/cluster.grpc.pb.h"
#include "sluice/v1/jobs.grpc.pb.h"
#include "sluice/v1/nodes.grpc.pb.h"
#include "sluice/v1/partitions.grpc.pb.h"
#include "sluice/v1/reservations.grpc.pb.h"

namespace sluice::ctld {

namespace cl = core::cluster;

namespace {

grpc::Status ToGrpc(const Status& st) {
  switch (st.code()) {
    case Code::kOk:
      return grpc::Status::OK;
    case Code::kInvalidArgument:
      return {grpc::StatusCode::INVALID_ARGUMENT, st.message()};
    case Code::kNotFound:
      return {grpc::StatusCode::NOT_FOUND, st.message()};
    case Code::kAlreadyExists:
      return {grpc::StatusCode::ALREADY_EXISTS, st.message()};
    case Code::kFailedPrecondition:
      return {grpc::StatusCode::FAILED_PRECONDITION, st.message()};
    case Code::kPermissionDenied:
      return {grpc::StatusCode::PERMISSION_DENIED, st.message()};
    case Code::kUnauthenticated:
      return {grpc::StatusCode::UNAUTHENTICATED, st.message()};
    case Code::kUnavailable:
      return {grpc::StatusCode::UNAVAILABLE, st.message()};
    case Code::kInternal:
      return {grpc::StatusCode::INTERNAL, st.message()};
  }
  return {grpc::StatusCode::UNKNOWN, st.message()};
}

// Every call carries "authorization: Bearer <token>".
bool Authorized(grpc::ServerContext* ctx, const std::string& token) {
  auto it = ctx->client_metadata().find("authorization");
  if (it == ctx->client_metadata().end()) return false;
  return std::string_view(it->second.data(), it->second.size()) == "Bearer " + token;
}

const grpc::Status kUnauthenticated(grpc::StatusCode::UNAUTHENTICATED,
                                    "missing or wrong cluster token");

#define SLUICE_GRPC_METHOD(Name, Req, Resp, Call)                                    \
  grpc::Status Name(grpc::ServerContext* ctx, const Req* req, Resp* resp) override { \
    if (!Authorized(ctx, token_)) return kUnauthenticated;                           \
    return ToGrpc(api_->Call(*req, resp));                                           \
  }

class JobServiceImpl final : public v1::JobService::Service {
 public:
  JobServiceImpl(Api* api, std::string token) : api_(api), token_(std::move(token)) {}
  SLUICE_GRPC_METHOD(Submit, v1::SubmitJobRequest, v1::SubmitJobResponse, Submit)
  SLUICE_GRPC_METHOD(Cancel, v1::CancelJobsRequest, v1::CancelJobsResponse, Cancel)
  SLUICE_GRPC_METHOD(Hold, v1::HoldJobsRequest, v1::HoldJobsResponse, Hold)
  SLUICE_GRPC_METHOD(Update, v1::UpdateJobRequest, v1::UpdateJobResponse, UpdateJob)
  SLUICE_GRPC_METHOD(Release, v1::ReleaseJobsRequest, v1::ReleaseJobsResponse, Release)
  SLUICE_GRPC_METHOD(List, v1::ListJobsRequest, v1::ListJobsResponse, ListJobs)
  SLUICE_GRPC_METHOD(Get, v1::GetJobRequest, v1::GetJobResponse, GetJob)

 private:
  Api* api_;
  std::string token_;
};

class PartitionServiceImpl final : public v1::PartitionService::Service {
 public:
  PartitionServiceImpl(Api* api, std::string token) : api_(api), token_(std::move(token)) {}
  SLUICE_GRPC_METHOD(List, v1::ListPartitionsRequest, v1::ListPartitionsResponse, ListPartitions)
  SLUICE_GRPC_METHOD(Get, v1::GetPartitionRequest, v1::GetPartitionResponse, GetPartition)
  SLUICE_GRPC_METHOD(Update, v1::UpdatePartitionRequest, v1::UpdatePartitionResponse,
                     UpdatePartition)

 private:
  Api* api_;
  std::string token_;
};

class ClusterServiceImpl final : public v1::ClusterService::Service {
 public:
  ClusterServiceImpl(Api* api, std::string token) : api_(api), token_(std::move(token)) {}
  SLUICE_GRPC_METHOD(Get, v1::GetClusterRequest, v1::ClusterInfo, GetCluster)

 private:
  Api* api_;
  std::string token_;
};

class AccountingServiceImpl final : public v1::AccountingService::Service {
 public:
  AccountingServiceImpl(Api* api, std::string token) : api_(api), token_(std::move(token)) {}
  SLUICE_GRPC_METHOD(ListJobs, v1::ListAccountingJobsRequest, v1::ListAccountingJobsResponse,
                     ListAccountingJobs)

 private:
  Api* api_;
  std::string token_;
};

class ReservationServiceImpl final : public v1::ReservationService::Service {
 public:
  ReservationServiceImpl(Api* api, std::string token) : api_(api), token_(std::move(token)) {}
  SLUICE_GRPC_METHOD(Create, v1::CreateReservationRequest, v1::CreateReservationResponse,
                     CreateReservation)
  SLUICE_GRPC_METHOD(Update, v1::UpdateReservationRequest, v1::UpdateReservationResponse,
                     UpdateReservation)
  SLUICE_GRPC_METHOD(Delete, v1::DeleteReservationRequest, v1::DeleteReservationResponse,
                     DeleteReservation)
  SLUICE_GRPC_METHOD(List, v1::ListReservationsRequest, v1::ListReservationsResponse,
                     ListReservations)

 private:
  Api* api_;
  std::string token_;
};

class NodeServiceImpl final : public v1::NodeService::Service {
 public:
  NodeServiceImpl(Api* api, std::string token) : api_(api), token_(std::move(token)) {}
  SLUICE_GRPC_METHOD(Register, v1::RegisterNodeRequest, v1::RegisterNodeResponse, RegisterNode)
  SLUICE_GRPC_METHOD(List, v1::ListNodesRequest, v1::ListNodesResponse, ListNodes)
  SLUICE_GRPC_METHOD(Get, v1::GetNodeRequest, v1::GetNodeResponse, GetNode)
  SLUICE_GRPC_METHOD(Update, v1::UpdateNodesRequest, v1::UpdateNodesResponse, UpdateNodes)

  // One stream per agent: it reads job ends and heartbeats, and a writer thread drains the
  // node's outbox into the stream until the connection is replaced or closed.
  grpc::Status Connect(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::ControllerMessage, v1::AgentMessage>* stream) override {
    if (!Authorized(ctx, token_)) return kUnauthenticated;
    v1::AgentMessage first;
    if (!stream->Read(&first) || first.msg_case() != v1::AgentMessage::kHello ||
        first.hello().empty()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "the first message must name the node"};
    }
    const std::string node = first.hello();
    if (!api_->controller()->View()->FindNode(node)) {
      return {grpc::StatusCode::FAILED_PRECONDITION, "node " + node + " is not registered"};
    }
    Controller* c = api_->controller();
    auto channel = c->Channel(node);
    const uint64_t generation = channel->Attach();
    c->PostAsync(cl::cmd::NodeConnected{node});
    SLOG_INFO("ctld").Msg("agent connected").Kv("node", node);
    std::thread writer([&] {
      v1::ControllerMessage msg;
      while (channel->Pop(generation, &msg)) {
        if (!stream->Write(msg)) break;
      }
      ctx->TryCancel();  // unblocks the reader when the writer stops first
    });
    v1::AgentMessage in;
    while (stream->Read(&in)) {
      switch (in.msg_case()) {
        case v1::AgentMessage::kJobEnded:
          c->PostAsync(cl::cmd::JobEnded{node, rpc::FromProto(in.job_ended())});
          break;
        case v1::AgentMessage::kHeartbeat:
          c->PostAsync(cl::cmd::NodeHeartbeat{node});
          break;
        default:
          break;
      }
    }
    const bool current = channel->IsCurrent(generation);
    channel->Detach(generation);
    writer.join();
    if (current) c->PostAsync(cl::cmd::NodeDisconnected{node});
    SLOG_INFO("ctld").Msg("agent disconnected").Kv("node", node);
    return grpc::Status::OK;
  }

 private:
  Api* api_;
  std::string token_;
};

}  // namespace

GrpcServer::GrpcServer(Api* api, std::string token) : api_(api), token_(std::move(token)) {}

GrpcServer::~GrpcServer() { Shutdown(); }

Status GrpcServer::Start(const std::string& address, int* port) {
  jobs_ = std::make_unique<JobServiceImpl>(api_, token_);
  nodes_ = std::make_unique<NodeServiceImpl>(api_, token_);
  partitions_ = std::make_unique<PartitionServiceImpl>(api_, token_);
  cluster_ = std::make_unique<ClusterServiceImpl>(api_, token_);
  reservations_ = std::make_unique<ReservationServiceImpl>(api_, token_);
  accounting_ = std::make_unique<AccountingServiceImpl>(api_, token_);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), port);
  builder.RegisterService(jobs_.get());
  builder.RegisterService(nodes_.get());
  builder.RegisterService(partitions_.get());
  builder.RegisterService(cluster_.get());
  builder.RegisterService(reservations_.get());
  builder.RegisterService(accounting_.get());
  // Malformed or oversized messages are refused by gRPC itself; cap them well above real jobs.
  builder.SetMaxReceiveMessageSize(64 << 20);
  server_ = builder.BuildAndStart();
  if (!server_ || *port == 0) return Unavailable("cannot listen on " + address + " for gRPC");
  return Status::Ok();
}

void GrpcServer::Shutdown() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_.reset();
  }
}

}  // namespace sluice::ctld
