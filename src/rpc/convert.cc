#include "rpc/convert.h"

namespace sluice::rpc {

namespace m = core::model;
namespace c = core::cluster;

namespace {
// kUnlimited travels as -1 so JSON readers see a plain number.
int64_t LimitToProto(Seconds s) { return s == kUnlimited ? -1 : s; }
Seconds LimitFromProto(int64_t s) { return s < 0 ? kUnlimited : s; }
}  // namespace

v1::JobState ToProto(m::JobState s) { return static_cast<v1::JobState>(static_cast<int>(s) + 1); }

m::JobState FromProto(v1::JobState s) {
  if (s <= v1::JOB_STATE_UNSPECIFIED || s > v1::JOB_STATE_NODE_FAIL) return m::JobState::kPending;
  return static_cast<m::JobState>(static_cast<int>(s) - 1);
}

void ToProto(const m::JobSpec& in, v1::JobSpec* out) {
  out->set_name(in.name);
  out->set_user(in.user);
  out->set_uid(in.uid);
  out->set_gid(in.gid);
  out->set_group(in.group);
  out->set_partition(in.partition);
  out->set_num_nodes(in.num_nodes);
  out->set_num_tasks(in.num_tasks);
  out->set_cpus_per_task(in.cpus_per_task);
  out->set_mem_per_node_mb(in.mem_per_node_mb);
  out->set_mem_per_cpu_mb(in.mem_per_cpu_mb);
  if (in.time_limit) out->set_time_limit_s(LimitToProto(*in.time_limit));
  out->set_work_dir(in.work_dir);
  out->set_stdout_path(in.stdout_path);
  out->set_stderr_path(in.stderr_path);
  out->set_script(in.script);
  out->set_command(in.command);
  for (const auto& a : in.argv) out->add_argv(a);
  for (const auto& e : in.environment) out->add_environment(e);
  out->set_submit_host(in.submit_host);
  out->set_hold(in.hold);
  out->set_ntasks_per_node(in.ntasks_per_node);
  out->set_exclusive(in.exclusive);
  for (const auto& n : in.nodelist) out->add_nodelist(n);
  for (const auto& n : in.exclude) out->add_exclude(n);
  out->set_constraint(in.constraint);
  out->set_account(in.account);
  out->set_qos(in.qos);
  out->set_nice(in.nice);
  out->set_gpus(in.gpus);
  out->set_gpus_per_node(in.gpus_per_node);
  out->set_gpus_per_task(in.gpus_per_task);
  out->set_gpu_type(in.gpu_type);
  out->set_mps_percent(in.mps_percent);
  out->set_shards(in.shards);
  out->set_gpu_memory_mb(in.gpu_memory_mb);
  out->set_reservation(in.reservation);
  out->set_ntasks_per_socket(in.ntasks_per_socket);
  out->set_placement(in.placement);
}

m::JobSpec FromProto(const v1::JobSpec& in) {
  m::JobSpec out;
  out.name = in.name();
  out.user = in.user();
  out.uid = in.uid();
  out.gid = in.gid();
  out.group = in.group();
  out.partition = in.partition();
  out.num_nodes = in.num_nodes();
  out.num_tasks = in.num_tasks();
  out.cpus_per_task = in.cpus_per_task() > 0 ? in.cpus_per_task() : 1;
  out.mem_per_node_mb = in.mem_per_node_mb();
  out.mem_per_cpu_mb = in.mem_per_cpu_mb();
  if (in.has_time_limit_s()) out.time_limit = LimitFromProto(in.time_limit_s());
  out.work_dir = in.work_dir();
  out.stdout_path = in.stdout_path();
  out.stderr_path = in.stderr_path();
  out.script = in.script();
  out.command = in.command();
  out.argv.assign(in.argv().begin(), in.argv().end());
  out.environment.assign(in.environment().begin(), in.environment().end());
  out.submit_host = in.submit_host();
  out.hold = in.hold();
  out.ntasks_per_node = in.ntasks_per_node();
  out.exclusive = in.exclusive();
  out.nodelist.assign(in.nodelist().begin(), in.nodelist().end());
  out.exclude.assign(in.exclude().begin(), in.exclude().end());
  out.constraint = in.constraint();
  out.account = in.account();
  out.qos = in.qos();
  out.nice = in.nice();
  out.gpus = in.gpus();
  out.gpus_per_node = in.gpus_per_node();
  out.gpus_per_task = in.gpus_per_task();
  out.gpu_type = in.gpu_type();
  out.mps_percent = in.mps_percent();
  out.shards = in.shards();
  out.gpu_memory_mb = in.gpu_memory_mb();
  out.reservation = in.reservation();
  out.ntasks_per_socket = in.ntasks_per_socket();
  out.placement = in.placement();
  return out;
}

void ToProto(const m::Job& in, v1::Job* out) {
  out->set_job_id(in.id);
  if (in.spec) ToProto(*in.spec, out->mutable_spec());
  out->set_state(ToProto(in.state));
  out->set_reason(std::string(m::ReasonName(in.reason)));
  out->set_held(in.held);
  out->set_priority(in.priority);
  out->set_partition(in.partition);
  out->set_time_limit_s(LimitToProto(in.time_limit));
  out->set_submit_time(in.submit_time);
  out->set_start_time(in.start_time);
  out->set_end_time(in.end_time);
  for (const auto& a : in.allocation) {
    auto* pa = out->add_allocation();
    pa->set_node(a.node);
    pa->set_cpus(a.cpus);
    pa->set_memory_mb(a.memory_mb);
    a.cpu_ids.ForEach([&](uint32_t id) { pa->add_cpu_ids(id); });
    for (const auto& g : a.gpus) {
      auto* pg = pa->add_gpus();
      pg->set_index(g.index);
      pg->set_shares(g.shares);
      pg->set_memory_mb(g.memory_mb);
    }
  }
  out->set_exit_code(in.exit_code);
  out->set_term_signal(in.term_signal);
  out->set_restarts(in.restarts);
  out->set_final_state(ToProto(in.final_state));
  out->set_min_nodes(in.min_nodes);
  out->set_expected_start(in.expected_start);
  auto* f = out->mutable_factors();
  f->set_age(in.factors.age);
  f->set_fairshare(in.factors.fairshare);
  f->set_job_size(in.factors.job_size);
  f->set_partition(in.factors.partition);
  f->set_qos(in.factors.qos);
  f->set_nice(in.factors.nice);
}

m::Job FromProto(const v1::Job& in) {
  m::Job out;
  out.id = in.job_id();
  out.spec = std::make_shared<m::JobSpec>(FromProto(in.spec()));
  out.state = FromProto(in.state());
  out.reason = m::ParseReason(in.reason()).value_or(m::Reason::kNone);
  out.held = in.held();
  out.priority = in.priority();
  out.partition = in.partition();
  out.time_limit = LimitFromProto(in.time_limit_s());
  out.submit_time = in.submit_time();
  out.start_time = in.start_time();
  out.end_time = in.end_time();
  for (const auto& a : in.allocation()) {
    m::NodeAllocation na{a.node(), a.cpus(), a.memory_mb(), {}};
    for (const auto& g : a.gpus()) na.gpus.push_back({g.index(), g.shares(), g.memory_mb()});
    for (uint32_t id : a.cpu_ids()) na.cpu_ids.push_back(id);
    out.allocation.push_back(std::move(na));
  }
  out.exit_code = in.exit_code();
  out.term_signal = in.term_signal();
  out.restarts = in.restarts();
  out.final_state = FromProto(in.final_state());
  out.expected_start = in.expected_start();
  out.factors.age = in.factors().age();
  out.factors.fairshare = in.factors().fairshare();
  out.factors.job_size = in.factors().job_size();
  out.factors.partition = in.factors().partition();
  out.factors.qos = in.factors().qos();
  out.factors.nice = in.factors().nice();
  out.factors.priority = in.priority();
  out.min_nodes = std::max<uint32_t>(in.min_nodes(), std::max<uint32_t>(in.spec().num_nodes(), 1));
  return out;
}

void ToProto(const m::Node& in, v1::Node* out) {
  out->set_name(in.name);
  out->set_cpus(in.cpus);
  out->set_sockets(in.sockets);
  out->set_cores_per_socket(in.cores_per_socket);
  out->set_threads_per_core(in.threads_per_core);
  out->set_memory_mb(in.memory_mb);
  out->set_alloc_cpus(in.alloc_cpus);
  out->set_alloc_memory_mb(in.alloc_memory_mb);
  out->set_state(static_cast<v1::NodeState>(static_cast<int>(in.State()) + 1));
  out->set_responding(in.responding);
  out->set_down(in.down);
  out->set_drain(in.drain);
  out->set_held_down(in.held_down);
  out->set_reason(in.reason);
  out->set_reason_user(in.reason_user);
  out->set_reason_time(in.reason_time);
  out->set_last_seen(in.last_seen);
  out->set_boot_time(in.boot_time);
  out->set_agent_start_time(in.agent_start_time);
  out->set_arch(in.arch);
  out->set_os(in.os);
  out->set_address(in.address);
  for (const auto& p : in.partitions) out->add_partitions(p);
  for (const auto& f : in.features) out->add_features(f);
  out->set_weight(in.weight);
  for (const auto& g : in.gpus) {
    auto* pg = out->add_gpus();
    pg->set_index(g.index);
    pg->set_type(g.type);
    pg->set_uuid(g.uuid);
    pg->set_memory_mb(g.memory_mb);
    pg->set_socket(g.socket);
    pg->set_share_capacity(g.share_capacity);
    pg->set_shares_used(g.shares_used);
    pg->set_memory_used_mb(g.memory_used_mb);
    pg->set_whole(g.whole);
    pg->set_utilization(g.utilization);
  }
  out->set_gpu_overprovision_threshold(in.gpu_overprovision_threshold);
}

m::Node FromProto(const v1::Node& in) {
  m::Node out;
  out.name = in.name();
  out.cpus = in.cpus();
  out.sockets = in.sockets();
  out.cores_per_socket = in.cores_per_socket();
  out.threads_per_core = in.threads_per_core();
  out.memory_mb = in.memory_mb();
  out.alloc_cpus = in.alloc_cpus();
  out.alloc_memory_mb = in.alloc_memory_mb();
  out.responding = in.responding();
  out.down = in.down();
  out.drain = in.drain();
  out.held_down = in.held_down();
  out.reason = in.reason();
  out.reason_user = in.reason_user();
  out.reason_time = in.reason_time();
  out.last_seen = in.last_seen();
  out.boot_time = in.boot_time();
  out.agent_start_time = in.agent_start_time();
  out.arch = in.arch();
  out.os = in.os();
  out.address = in.address();
  out.partitions.assign(in.partitions().begin(), in.partitions().end());
  out.features.assign(in.features().begin(), in.features().end());
  out.weight = in.weight() > 0 ? in.weight() : 1;
  for (const auto& g : in.gpus()) {
    m::Gpu gpu;
    gpu.index = g.index();
    gpu.type = g.type();
    gpu.uuid = g.uuid();
    gpu.memory_mb = g.memory_mb();
    gpu.socket = g.socket();
    gpu.share_capacity = g.share_capacity();
    gpu.shares_used = g.shares_used();
    gpu.memory_used_mb = g.memory_used_mb();
    gpu.whole = g.whole();
    gpu.utilization = g.utilization();
    out.gpus.push_back(std::move(gpu));
  }
  out.gpu_overprovision_threshold = in.gpu_overprovision_threshold();
  return out;
}

void ToProto(const m::Partition& in, v1::Partition* out) {
  out->set_name(in.name);
  for (const auto& n : in.nodes) out->add_nodes(n);
  out->set_nodes_expr(in.nodes_expr);
  out->set_is_default(in.is_default);
  out->set_up(in.up);
  out->set_refuses_jobs(!in.accepts_jobs);
  out->set_updated_by(in.updated_by);
  out->set_configured_up(in.configured_up);
  out->set_configured_refuses_jobs(!in.configured_accepts_jobs);
  out->set_configured_max_time_s(LimitToProto(in.configured_max_time));
  out->set_max_time_s(LimitToProto(in.max_time));
  if (in.default_time) out->set_default_time_s(LimitToProto(*in.default_time));
  out->set_def_mem_per_cpu_mb(in.def_mem_per_cpu_mb);
  out->set_max_nodes(in.max_nodes);
  out->set_max_cpus_per_node(in.max_cpus_per_node);
  out->set_priority_job_factor(in.priority_job_factor);
}

m::Partition FromProto(const v1::Partition& in) {
  m::Partition out;
  out.name = in.name();
  out.nodes.assign(in.nodes().begin(), in.nodes().end());
  out.nodes_expr = in.nodes_expr();
  out.is_default = in.is_default();
  out.up = in.up();
  out.accepts_jobs = !in.refuses_jobs();
  out.updated_by = in.updated_by();
  out.configured_up = in.configured_up();
  out.configured_accepts_jobs = !in.configured_refuses_jobs();
  out.configured_max_time = LimitFromProto(in.configured_max_time_s());
  out.max_time = LimitFromProto(in.max_time_s());
  if (in.has_default_time_s()) out.default_time = LimitFromProto(in.default_time_s());
  out.def_mem_per_cpu_mb = in.def_mem_per_cpu_mb();
  out.max_nodes = in.max_nodes();
  out.max_cpus_per_node = in.max_cpus_per_node();
  out.priority_job_factor = in.priority_job_factor() > 0 ? in.priority_job_factor() : 1;
  return out;
}

void ToProto(const c::JobFilter& in, v1::JobFilter* out) {
  for (auto id : in.ids) out->add_job_ids(id);
  for (const auto& u : in.users) out->add_users(u);
  for (const auto& n : in.names) out->add_names(n);
  for (auto s : in.states) out->add_states(ToProto(s));
  for (const auto& p : in.partitions) out->add_partitions(p);
}

c::JobFilter FromProto(const v1::JobFilter& in) {
  c::JobFilter out;
  out.ids.assign(in.job_ids().begin(), in.job_ids().end());
  out.users.assign(in.users().begin(), in.users().end());
  out.names.assign(in.names().begin(), in.names().end());
  for (int s : in.states()) out.states.push_back(FromProto(static_cast<v1::JobState>(s)));
  out.partitions.assign(in.partitions().begin(), in.partitions().end());
  return out;
}

void ToProto(const c::NodeInventory& in, v1::NodeInventory* out) {
  out->set_name(in.name);
  out->set_cpus(in.cpus);
  out->set_sockets(in.sockets);
  out->set_cores_per_socket(in.cores_per_socket);
  out->set_threads_per_core(in.threads_per_core);
  out->set_memory_mb(in.memory_mb);
  out->set_boot_time(in.boot_time);
  out->set_agent_start_time(in.agent_start_time);
  out->set_arch(in.arch);
  out->set_os(in.os);
  out->set_address(in.address);
}

c::NodeInventory FromProto(const v1::NodeInventory& in) {
  c::NodeInventory out;
  out.name = in.name();
  out.cpus = in.cpus();
  out.sockets = in.sockets();
  out.cores_per_socket = in.cores_per_socket();
  out.threads_per_core = in.threads_per_core();
  out.memory_mb = in.memory_mb();
  out.boot_time = in.boot_time();
  out.agent_start_time = in.agent_start_time();
  out.arch = in.arch();
  out.os = in.os();
  out.address = in.address();
  return out;
}

void ToProto(const m::Reservation& in, v1::Reservation* out) {
  out->set_name(in.name);
  out->set_start_time(in.start);
  out->set_end_time(LimitToProto(in.end));
  for (const auto& n : in.nodes) out->add_nodes(n);
  for (const auto& u : in.users) out->add_users(u);
  for (const auto& a : in.accounts) out->add_accounts(a);
  out->set_partition(in.partition);
}

m::Reservation FromProto(const v1::Reservation& in) {
  m::Reservation out;
  out.name = in.name();
  out.start = in.start_time();
  out.end = LimitFromProto(in.end_time());
  out.nodes.assign(in.nodes().begin(), in.nodes().end());
  out.users.assign(in.users().begin(), in.users().end());
  out.accounts.assign(in.accounts().begin(), in.accounts().end());
  out.partition = in.partition();
  return out;
}

void ToProto(const c::PriorityConfig& in, v1::PriorityConfig* out) {
  out->set_type(in.type);
  out->set_weight_age(in.weight_age);
  out->set_weight_fairshare(in.weight_fairshare);
  out->set_weight_job_size(in.weight_job_size);
  out->set_weight_partition(in.weight_partition);
  out->set_weight_qos(in.weight_qos);
  out->set_max_age_s(in.max_age);
  out->set_decay_half_life_s(in.decay_half_life);
  out->set_favor_small(in.favor_small);
  out->set_calc_period_s(in.calc_period);
}

c::PriorityConfig FromProto(const v1::PriorityConfig& in) {
  c::PriorityConfig out;
  out.type = in.type();
  out.weight_age = in.weight_age();
  out.weight_fairshare = in.weight_fairshare();
  out.weight_job_size = in.weight_job_size();
  out.weight_partition = in.weight_partition();
  out.weight_qos = in.weight_qos();
  out.max_age = in.max_age_s();
  out.decay_half_life = in.decay_half_life_s();
  out.favor_small = in.favor_small();
  out.calc_period = in.calc_period_s();
  return out;
}

void ToProto(const c::JobEnd& in, v1::JobEnd* out) {
  out->set_job_id(in.id);
  out->set_exit_code(in.exit_code);
  out->set_term_signal(in.term_signal);
  out->set_timed_out(in.timed_out);
  out->set_cancelled(in.cancelled);
  out->set_start_time(in.start_time);
  out->set_end_time(in.end_time);
  out->set_error(in.error);
}

c::JobEnd FromProto(const v1::JobEnd& in) {
  c::JobEnd out;
  out.id = in.job_id();
  out.exit_code = in.exit_code();
  out.term_signal = in.term_signal();
  out.timed_out = in.timed_out();
  out.cancelled = in.cancelled();
  out.start_time = in.start_time();
  out.end_time = in.end_time();
  out.error = in.error();
  return out;
}

void ToProto(const m::AccountingRecord& in, v1::AccountingJob* out) {
  out->set_job_id(in.id);
  out->set_name(in.name);
  out->set_user(in.user);
  out->set_uid(in.uid);
  out->set_gid(in.gid);
  out->set_group(in.group);
  out->set_account(in.account);
  out->set_partition(in.partition);
  out->set_qos(in.qos);
  out->set_state(ToProto(in.state));
  out->set_exit_code(in.exit_code);
  out->set_term_signal(in.term_signal);
  out->set_submit_time(in.submit_time);
  out->set_start_time(in.start_time);
  out->set_end_time(in.end_time);
  out->set_time_limit_s(LimitToProto(in.time_limit));
  out->set_req_cpus(in.req_cpus);
  out->set_alloc_cpus(in.alloc_cpus);
  out->set_req_nodes(in.req_nodes);
  out->set_alloc_nodes(in.alloc_nodes);
  out->set_req_mem_mb(in.req_mem_mb);
  out->set_nodelist(in.nodelist);
  out->set_req_tres(in.req_tres);
  out->set_alloc_tres(in.alloc_tres);
  out->set_work_dir(in.work_dir);
  out->set_reservation(in.reservation);
  out->set_constraints(in.constraints);
  out->set_restarts(in.restarts);
}

m::AccountingRecord FromProto(const v1::AccountingJob& in) {
  m::AccountingRecord out;
  out.id = in.job_id();
  out.name = in.name();
  out.user = in.user();
  out.uid = in.uid();
  out.gid = in.gid();
  out.group = in.group();
  out.account = in.account();
  out.partition = in.partition();
  out.qos = in.qos();
  out.state = FromProto(in.state());
  out.exit_code = in.exit_code();
  out.term_signal = in.term_signal();
  out.submit_time = in.submit_time();
  out.start_time = in.start_time();
  out.end_time = in.end_time();
  out.time_limit = LimitFromProto(in.time_limit_s());
  out.req_cpus = in.req_cpus();
  out.alloc_cpus = in.alloc_cpus();
  out.req_nodes = in.req_nodes();
  out.alloc_nodes = in.alloc_nodes();
  out.req_mem_mb = in.req_mem_mb();
  out.nodelist = in.nodelist();
  out.req_tres = in.req_tres();
  out.alloc_tres = in.alloc_tres();
  out.work_dir = in.work_dir();
  out.reservation = in.reservation();
  out.constraints = in.constraints();
  out.restarts = in.restarts();
  return out;
}

void ToProto(const m::AccountingFilter& in, v1::AccountingFilter* out) {
  out->mutable_job_ids()->Assign(in.job_ids.begin(), in.job_ids.end());
  out->mutable_users()->Assign(in.users.begin(), in.users.end());
  out->mutable_accounts()->Assign(in.accounts.begin(), in.accounts.end());
  out->mutable_partitions()->Assign(in.partitions.begin(), in.partitions.end());
  out->mutable_names()->Assign(in.names.begin(), in.names.end());
  for (auto s : in.states) out->add_states(ToProto(s));
  out->set_start_time(in.start);
  out->set_end_time(in.end);
}

m::AccountingFilter FromProto(const v1::AccountingFilter& in) {
  m::AccountingFilter out;
  out.job_ids.assign(in.job_ids().begin(), in.job_ids().end());
  out.users.assign(in.users().begin(), in.users().end());
  out.accounts.assign(in.accounts().begin(), in.accounts().end());
  out.partitions.assign(in.partitions().begin(), in.partitions().end());
  out.names.assign(in.names().begin(), in.names().end());
  for (int s : in.states()) out.states.push_back(FromProto(static_cast<v1::JobState>(s)));
  out.start = in.start_time();
  out.end = in.end_time();
  return out;
}

}  // namespace sluice::rpc
