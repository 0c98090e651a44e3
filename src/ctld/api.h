// The API's operations on its protobuf messages, shared by the gRPC services and REST routes.
#pragma once

#include "common/status.h"
#include "ctld/controller.h"
#include "sluice/v1/accounting.pb.h"
#include "sluice/v1/cluster.pb.h"
#include "sluice/v1/jobs.pb.h"
#include "sluice/v1/nodes.pb.h"
#include "sluice/v1/partitions.pb.h"
#include "sluice/v1/reservations.pb.h"

namespace sluice::ctld {

class Api {
 public:
  explicit Api(Controller* controller) : controller_(controller) {}

  Status Submit(const v1::SubmitJobRequest& req, v1::SubmitJobResponse* resp);
  Status Cancel(const v1::CancelJobsRequest& req, v1::CancelJobsResponse* resp);
  Status Hold(const v1::HoldJobsRequest& req, v1::HoldJobsResponse* resp);
  Status UpdateJob(const v1::UpdateJobRequest& req, v1::UpdateJobResponse* resp);
  Status UpdateNodes(const v1::UpdateNodesRequest& req, v1::UpdateNodesResponse* resp);
  Status UpdatePartition(const v1::UpdatePartitionRequest& req, v1::UpdatePartitionResponse* resp);
  Status Release(const v1::ReleaseJobsRequest& req, v1::ReleaseJobsResponse* resp);
  Status ListJobs(const v1::ListJobsRequest& req, v1::ListJobsResponse* resp);
  Status GetJob(const v1::GetJobRequest& req, v1::GetJobResponse* resp);

  Status RegisterNode(const v1::RegisterNodeRequest& req, v1::RegisterNodeResponse* resp);
  Status ListNodes(const v1::ListNodesRequest& req, v1::ListNodesResponse* resp);
  Status GetNode(const v1::GetNodeRequest& req, v1::GetNodeResponse* resp);

  Status ListPartitions(const v1::ListPartitionsRequest& req, v1::ListPartitionsResponse* resp);
  Status GetPartition(const v1::GetPartitionRequest& req, v1::GetPartitionResponse* resp);

  Status GetCluster(const v1::GetClusterRequest& req, v1::ClusterInfo* resp);

  // sacct: finished jobs from accounting, jobs the controller still holds from its view.
  Status ListAccountingJobs(const v1::ListAccountingJobsRequest& req,
                            v1::ListAccountingJobsResponse* resp);

  Status CreateReservation(const v1::CreateReservationRequest& req,
                           v1::CreateReservationResponse* resp);
  Status UpdateReservation(const v1::UpdateReservationRequest& req,
                           v1::UpdateReservationResponse* resp);
  Status DeleteReservation(const v1::DeleteReservationRequest& req,
                           v1::DeleteReservationResponse* resp);
  Status ListReservations(const v1::ListReservationsRequest& req,
                          v1::ListReservationsResponse* resp);

  // Prometheus text exposition of the current view.
  std::string Metrics();

  Controller* controller() { return controller_; }

 private:
  Controller* controller_;
};

}  // namespace sluice::ctld
