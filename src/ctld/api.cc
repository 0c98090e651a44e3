#include "ctld/api.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "common/strings.h"
#include "rpc/convert.h"

namespace sluice::ctld {

namespace cl = core::cluster;
namespace m = core::model;

Status Api::Submit(const v1::SubmitJobRequest& req, v1::SubmitJobResponse* resp) {
  const v1::JobSpec& spec = req.spec();
  if (spec.script().empty()) return InvalidArgument("the job has no batch script");
  if (spec.work_dir().empty() || spec.work_dir().front() != '/') {
    return InvalidArgument("the job's working directory must be an absolute path");
  }
  if (spec.user().empty()) return InvalidArgument("the job names no user");
  cl::Reply r = controller_->Post(cl::cmd::Submit{rpc::FromProto(spec)});
  SLUICE_RETURN_IF_ERROR(r.status);
  resp->set_job_id(r.job_ids.front());
  return Status::Ok();
}

Status Api::Cancel(const v1::CancelJobsRequest& req, v1::CancelJobsResponse* resp) {
  cl::Reply r =
      controller_->Post(cl::cmd::Cancel{rpc::FromProto(req.filter()), req.requested_by()});
  for (auto id : r.job_ids) resp->add_job_ids(id);
  if (!r.errors.empty() && r.status.ok() && !r.job_ids.empty()) return Status::Ok();
  if (!r.errors.empty()) {
    std::string all;
    for (const auto& e : r.errors) all += (all.empty() ? "" : "\n") + e;
    return Status(r.status.ok() ? Code::kInvalidArgument : r.status.code(), all);
  }
  return r.status;
}

Status Api::Hold(const v1::HoldJobsRequest& req, v1::HoldJobsResponse* resp) {
  cl::Reply r = controller_->Post(
      cl::cmd::Hold{std::vector<m::JobId>(req.job_ids().begin(), req.job_ids().end())});
  for (auto id : r.job_ids) resp->add_job_ids(id);
  return r.status;  // the state machine fails the command when no job could be changed
}

Status Api::Release(const v1::ReleaseJobsRequest& req, v1::ReleaseJobsResponse* resp) {
  cl::Reply r = controller_->Post(
      cl::cmd::Release{std::vector<m::JobId>(req.job_ids().begin(), req.job_ids().end())});
  for (auto id : r.job_ids) resp->add_job_ids(id);
  return r.status;  // the state machine fails the command when no job could be changed
}

Status Api::UpdateJob(const v1::UpdateJobRequest& req, v1::UpdateJobResponse*) {
  cl::cmd::UpdateJob c;
  c.id = req.job_id();
  c.requested_by = req.requested_by();
  if (req.has_name()) c.name = req.name();
  if (req.has_time_limit_s()) {
    c.time_limit = req.time_limit_s() == -1 ? kUnlimited : req.time_limit_s();
  }
  if (req.has_time_limit_change_s()) c.time_limit_change = req.time_limit_change_s();
  if (req.has_partition()) c.partition = req.partition();
  if (req.has_num_nodes()) c.num_nodes = req.num_nodes();
  if (req.has_num_tasks()) c.num_tasks = req.num_tasks();
  if (req.has_nice()) c.nice = req.nice();
  if (req.has_account()) c.account = req.account();
  if (req.has_qos()) c.qos = req.qos();
  if (req.set_nodelist()) {
    c.nodelist = std::vector<std::string>(req.nodelist().begin(), req.nodelist().end());
  }
  if (req.set_exclude()) {
    c.exclude = std::vector<std::string>(req.exclude().begin(), req.exclude().end());
  }
  if (req.has_constraint()) c.constraint = req.constraint();
  if (req.has_reservation()) c.reservation = req.reservation();
  if (req.has_mem_per_node_mb()) c.mem_per_node_mb = req.mem_per_node_mb();
  if (req.has_mem_per_cpu_mb()) c.mem_per_cpu_mb = req.mem_per_cpu_mb();
  return controller_->Post(std::move(c)).status;
}

Status Api::UpdateNodes(const v1::UpdateNodesRequest& req, v1::UpdateNodesResponse*) {
  using Action = cl::cmd::UpdateNode::Action;
  cl::cmd::UpdateNode c;
  c.names.assign(req.names().begin(), req.names().end());
  const std::string state = str::ToUpper(req.state());
  if (state == "DRAIN") {
    c.action = Action::kDrain;
  } else if (state == "DOWN") {
    c.action = Action::kDown;
  } else if (state == "RESUME") {
    c.action = Action::kResume;
  } else if (state == "UNDRAIN") {
    c.action = Action::kUndrain;
  } else {
    return InvalidArgument("Invalid node state specified: " + req.state() +
                           " (Sluice takes DRAIN, DOWN, RESUME and UNDRAIN)");
  }
  c.reason = req.reason();
  c.requested_by = req.requested_by();
  return controller_->Post(std::move(c)).status;
}

Status Api::UpdatePartition(const v1::UpdatePartitionRequest& req, v1::UpdatePartitionResponse*) {
  using State = cl::cmd::UpdatePartition::State;
  cl::cmd::UpdatePartition c;
  c.name = req.name();
  const std::string state = str::ToUpper(req.state());
  if (state == "UP") {
    c.state = State::kUp;
  } else if (state == "DOWN") {
    c.state = State::kDown;
  } else if (state == "DRAIN") {
    c.state = State::kDrain;
  } else if (state == "INACTIVE") {
    c.state = State::kInactive;
  } else if (!state.empty()) {
    return InvalidArgument("Invalid input: State=" + req.state() +
                           " (acceptable State values are UP, DOWN, DRAIN and INACTIVE)");
  }
  if (req.has_max_time_s()) c.max_time = req.max_time_s() == -1 ? kUnlimited : req.max_time_s();
  c.requested_by = req.requested_by();
  return controller_->Post(std::move(c)).status;
}

Status Api::ListJobs(const v1::ListJobsRequest& req, v1::ListJobsResponse* resp) {
  auto view = controller_->View();
  cl::JobFilter filter = rpc::FromProto(req.filter());
  const bool only_active = filter.states.empty() && !req.include_finished();
  resp->set_now(view->now);
  view->jobs.ForEach([&](const m::JobPtr& job) {
    if (only_active && m::IsFinished(job->state)) return;
    if (!filter.Matches(*job)) return;
    v1::Job* pb = resp->add_jobs();
    rpc::ToProto(*job, pb);
    if (!req.full()) {
      pb->mutable_spec()->clear_script();
      pb->mutable_spec()->clear_environment();
    }
  });
  return Status::Ok();
}

Status Api::GetJob(const v1::GetJobRequest& req, v1::GetJobResponse* resp) {
  auto view = controller_->View();
  m::JobPtr job = view->FindJob(req.job_id());
  if (!job) return NotFound("Invalid job id specified");
  rpc::ToProto(*job, resp->mutable_job());
  resp->set_now(view->now);
  return Status::Ok();
}

Status Api::RegisterNode(const v1::RegisterNodeRequest& req, v1::RegisterNodeResponse* resp) {
  cl::cmd::RegisterNode c;
  c.inventory = rpc::FromProto(req.inventory());
  c.running.assign(req.running_job_ids().begin(), req.running_job_ids().end());
  for (const auto& f : req.finished()) c.finished.push_back(rpc::FromProto(f));
  cl::Reply r = controller_->Post(std::move(c));
  SLUICE_RETURN_IF_ERROR(r.status);
  resp->set_cpus(r.node_cpus);
  resp->set_memory_mb(r.node_memory_mb);
  resp->set_kill_wait_s(controller_->kill_wait());
  return Status::Ok();
}

Status Api::ListNodes(const v1::ListNodesRequest& req, v1::ListNodesResponse* resp) {
  auto view = controller_->View();
  resp->set_now(view->now);
  for (const auto& node : view->nodes) {
    if (req.names_size() > 0 &&
        std::find(req.names().begin(), req.names().end(), node->name) == req.names().end()) {
      continue;
    }
    rpc::ToProto(*node, resp->add_nodes());
  }
  return Status::Ok();
}

Status Api::GetNode(const v1::GetNodeRequest& req, v1::GetNodeResponse* resp) {
  auto node = controller_->View()->FindNode(req.name());
  if (!node) return NotFound("Node " + req.name() + " not found");
  rpc::ToProto(*node, resp->mutable_node());
  return Status::Ok();
}

Status Api::ListPartitions(const v1::ListPartitionsRequest&, v1::ListPartitionsResponse* resp) {
  for (const auto& p : controller_->View()->partitions) rpc::ToProto(*p, resp->add_partitions());
  return Status::Ok();
}

Status Api::GetPartition(const v1::GetPartitionRequest& req, v1::GetPartitionResponse* resp) {
  auto p = controller_->View()->FindPartition(req.name());
  if (!p) return NotFound("Partition " + req.name() + " not found");
  rpc::ToProto(*p, resp->mutable_partition());
  return Status::Ok();
}

Status Api::GetCluster(const v1::GetClusterRequest&, v1::ClusterInfo* resp) {
  const core::cluster::ClusterConfig& config = controller_->config();
  resp->set_name(config.cluster_name);
  resp->set_scheduler_policy(config.scheduler.policy);
  rpc::ToProto(config.priority, resp->mutable_priority());
  return Status::Ok();
}

Status Api::ListAccountingJobs(const v1::ListAccountingJobsRequest& req,
                               v1::ListAccountingJobsResponse* resp) {
  const m::AccountingFilter filter = rpc::FromProto(req.filter());
  // The view first: a job it holds is shown as the view has it (the controller's word is the
  // latest), and one that finishes after this snapshot is then in accounting too, not missing.
  auto view = controller_->View();
  std::vector<m::AccountingRecord> records;
  const auto listed = [](const auto& list, const auto& v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  view->jobs.ForEach([&](const m::JobPtr& job) {
    // Cheap checks first: most jobs of a long queue fail them, and a record costs more.
    if (!listed(filter.job_ids, job->id) || !listed(filter.users, job->spec->user)) return;
    m::AccountingRecord r = controller_->AccountingRecordOf(*job);
    if (filter.Matches(r)) records.push_back(std::move(r));
  });
  SLUICE_ASSIGN_OR_RETURN(std::vector<m::AccountingRecord> stored,
                          controller_->QueryAccounting(filter));
  for (auto& r : stored) {
    if (!view->FindJob(r.id)) records.push_back(std::move(r));
  }
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& r : records) rpc::ToProto(r, resp->add_jobs());
  resp->set_now(view->now);
  resp->set_cluster(controller_->config().cluster_name);
  return Status::Ok();
}

Status Api::CreateReservation(const v1::CreateReservationRequest& req,
                              v1::CreateReservationResponse* resp) {
  cl::cmd::CreateReservation c;
  c.reservation = rpc::FromProto(req.reservation());
  c.node_count = req.node_count();
  cl::Reply r = controller_->Post(std::move(c));
  SLUICE_RETURN_IF_ERROR(r.status);
  resp->set_name(req.reservation().name());
  return Status::Ok();
}

Status Api::UpdateReservation(const v1::UpdateReservationRequest& req,
                              v1::UpdateReservationResponse*) {
  cl::cmd::UpdateReservation c;
  c.name = req.name();
  if (req.has_start_time()) c.start = req.start_time();
  if (req.has_end_time()) c.end = req.end_time() < 0 ? kUnlimited : req.end_time();
  if (req.set_nodes()) c.nodes = std::vector<std::string>(req.nodes().begin(), req.nodes().end());
  if (req.set_users()) c.users = std::vector<std::string>(req.users().begin(), req.users().end());
  if (req.set_accounts()) {
    c.accounts = std::vector<std::string>(req.accounts().begin(), req.accounts().end());
  }
  return controller_->Post(std::move(c)).status;
}

Status Api::DeleteReservation(const v1::DeleteReservationRequest& req,
                              v1::DeleteReservationResponse*) {
  return controller_->Post(cl::cmd::DeleteReservation{req.name()}).status;
}

Status Api::ListReservations(const v1::ListReservationsRequest&,
                             v1::ListReservationsResponse* resp) {
  auto view = controller_->View();
  resp->set_now(view->now);
  for (const auto& r : view->reservations) rpc::ToProto(*r, resp->add_reservations());
  return Status::Ok();
}

std::string Api::Metrics() {
  auto view = controller_->View();
  std::map<std::string, int> by_state;
  view->jobs.ForEach(
      [&](const m::JobPtr& j) { by_state[std::string(m::JobStateName(j->state))]++; });
  std::ostringstream os;
  os << "# HELP sluice_jobs Jobs the controller holds, by state.\n# TYPE sluice_jobs gauge\n";
  for (const auto& [state, n] : by_state)
    os << "sluice_jobs{state=\"" << state << "\"} " << n << "\n";
  int responding = 0;
  uint64_t cpus = 0, alloc = 0;
  for (const auto& n : view->nodes) {
    responding += n->responding ? 1 : 0;
    cpus += n->cpus;
    alloc += n->alloc_cpus;
  }
  os << "# HELP sluice_nodes Nodes known to the controller.\n# TYPE sluice_nodes gauge\n"
     << "sluice_nodes " << view->nodes.size() << "\n"
     << "# HELP sluice_nodes_responding Nodes whose agent is connected.\n"
     << "# TYPE sluice_nodes_responding gauge\nsluice_nodes_responding " << responding << "\n"
     << "# HELP sluice_cpus CPUs in the cluster.\n# TYPE sluice_cpus gauge\nsluice_cpus " << cpus
     << "\n# HELP sluice_cpus_allocated CPUs allocated to jobs.\n"
     << "# TYPE sluice_cpus_allocated gauge\nsluice_cpus_allocated " << alloc << "\n";
  return os.str();
}

}  // namespace sluice::ctld
