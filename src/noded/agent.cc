#include "noded/agent.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <thread>

#include "common/log.h"
#include "compat/slurm/filename_pattern.h"
#include "rpc/convert.h"
#include "sluice/v1/nodes.grpc.pb.h"

namespace sluice::noded {

namespace cl = core::cluster;

namespace {

void Authorize(grpc::ClientContext* ctx, const std::string& token) {
  ctx->AddMetadata("authorization", "Bearer " + token);
}

v1::JobEnd ToJobEnd(uint32_t id, const exec::JobOutcome& o) {
  v1::JobEnd end;
  end.set_job_id(id);
  end.set_exit_code(o.exit_code);
  end.set_term_signal(o.term_signal);
  end.set_timed_out(o.timed_out);
  end.set_cancelled(o.cancelled);
  end.set_start_time(o.start_time);
  end.set_end_time(o.end_time);
  end.set_error(o.error);
  return end;
}

std::string Resolve(const std::string& path, const std::string& work_dir) {
  if (path.empty() || path.front() == '/') return path;
  return work_dir + "/" + path;
}

}  // namespace

// One connection to the controller.
struct Agent::Session {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::ControllerMessage>> stream;
  std::mutex write_mu;
  std::set<uint32_t> reported;  // ends sent on this connection, not yet acknowledged
  std::atomic<bool> done{false};

  bool Write(const v1::AgentMessage& msg) {
    std::lock_guard lock(write_mu);
    return stream->Write(msg);
  }
};

Agent::Agent(AgentOptions options)
    : options_(std::move(options)), runner_(options_.spool_dir, options_.stepd_path) {}

Agent::~Agent() { Stop(); }

void Agent::Stop() {
  stopping_ = true;
  std::lock_guard lock(session_mu_);
  if (session_ != nullptr) session_->ctx.TryCancel();
}

void Agent::Run() {
  int backoff_ms = 100;
  while (!stopping_) {
    auto started = std::chrono::steady_clock::now();
    RunSession();
    if (stopping_) break;
    // A session that lasted a while was healthy: retry quickly; otherwise back off to 2 s.
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(5)) backoff_ms = 100;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, 2000);
  }
}

void Agent::RunSession() {
  auto channel = grpc::CreateChannel(options_.controller, grpc::InsecureChannelCredentials());
  auto stub = v1::NodeService::NewStub(channel);

  // Register: the inventory and every job this node still knows, so the controller reconciles.
  v1::RegisterNodeRequest reg;
  rpc::ToProto(options_.inventory, reg.mutable_inventory());
  for (uint32_t id : runner_.Running()) reg.add_running_job_ids(id);
  for (const auto& [id, outcome] : runner_.Finished()) *reg.add_finished() = ToJobEnd(id, outcome);
  v1::RegisterNodeResponse reg_resp;
  {
    grpc::ClientContext ctx;
    Authorize(&ctx, options_.token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status st = stub->Register(&ctx, reg, &reg_resp);
    if (!st.ok()) {
      SLOG_DEBUG("noded").Msg("register failed").Kv("error", st.error_message());
      return;
    }
  }

  Session session;
  for (const auto& f : reg.finished()) session.reported.insert(f.job_id());
  Authorize(&session.ctx, options_.token);
  session.stream = stub->Connect(&session.ctx);
  {
    std::lock_guard lock(session_mu_);
    session_ = &session;
    if (stopping_) session.ctx.TryCancel();
  }
  v1::AgentMessage hello;
  hello.set_hello(options_.inventory.name);
  if (!session.Write(hello)) {
    std::lock_guard lock(session_mu_);
    session_ = nullptr;
    return;
  }
  SLOG_INFO("noded")
      .Msg("connected")
      .Kv("controller", options_.controller)
      .Kv("cpus", reg_resp.cpus())
      .Kv("memory_mb", reg_resp.memory_mb());

  // Watcher: reports each job's end once per connection, and heartbeats.
  std::thread watcher([&] {
    auto next_heartbeat = std::chrono::steady_clock::now();
    while (!session.done) {
      std::vector<v1::AgentMessage> out;
      for (const auto& [id, outcome] : runner_.Finished()) {
        std::lock_guard lock(session.write_mu);
        if (session.reported.insert(id).second) {
          v1::AgentMessage m;
          *m.mutable_job_ended() = ToJobEnd(id, outcome);
          out.push_back(std::move(m));
        }
      }
      if (std::chrono::steady_clock::now() >= next_heartbeat) {
        v1::AgentMessage m;
        m.set_heartbeat(WallClockNow());
        out.push_back(std::move(m));
        next_heartbeat += std::chrono::seconds(options_.heartbeat_s);
      }
      for (const auto& m : out) {
        if (!session.Write(m)) {
          session.ctx.TryCancel();
          return;
        }
      }
      runner_.WaitForChange(500);
    }
  });

  v1::ControllerMessage msg;
  while (session.stream->Read(&msg)) {
    if (msg.has_launch()) {
      const v1::Job& job = msg.launch().job();
      const v1::JobSpec& spec = job.spec();
      compat::slurm::FilenameContext names{job.job_id(), spec.name(), spec.user(),
                                           options_.inventory.name};
      exec::LaunchSpec ls;
      ls.job_id = job.job_id();
      ls.script = spec.script();
      ls.argv.assign(spec.argv().begin(), spec.argv().end());
      ls.environment.assign(msg.launch().environment().begin(), msg.launch().environment().end());
      ls.work_dir = spec.work_dir();
      const std::string out_pattern =
          spec.stdout_path().empty() ? compat::slurm::DefaultStdoutPattern() : spec.stdout_path();
      ls.stdout_path =
          Resolve(compat::slurm::ExpandFilenamePattern(out_pattern, names), spec.work_dir());
      if (!spec.stderr_path().empty()) {
        ls.stderr_path = Resolve(compat::slurm::ExpandFilenamePattern(spec.stderr_path(), names),
                                 spec.work_dir());
      }
      ls.time_limit_s = job.time_limit_s() > 0 ? job.time_limit_s() : 0;
      ls.kill_wait_s = msg.launch().kill_wait_s();
      Status st = runner_.Launch(ls);
      if (!st.ok() && st.code() != Code::kAlreadyExists) {
        SLOG_WARN("noded").Msg("launch failed").Kv("job", ls.job_id).Kv("error", st.message());
        exec::JobOutcome failed;
        failed.exit_code = 1;
        failed.error = st.message();
        failed.start_time = failed.end_time = WallClockNow();
        v1::AgentMessage m;
        *m.mutable_job_ended() = ToJobEnd(ls.job_id, failed);
        {
          std::lock_guard lock(session.write_mu);
          session.reported.insert(ls.job_id);
        }
        session.Write(m);
      }
    } else if (msg.has_signal()) {
      const auto& s = msg.signal();
      Status st = s.cancel() ? runner_.Cancel(s.job_id()) : runner_.Signal(s.job_id(), s.signal());
      if (!st.ok() && s.cancel()) {
        // Not running here (never started, or already ended and reported): say it is over.
        bool known = false;
        for (uint32_t id : runner_.Running()) known = known || id == s.job_id();
        if (!known) {
          exec::JobOutcome gone;
          gone.cancelled = true;
          gone.start_time = gone.end_time = WallClockNow();
          v1::AgentMessage m;
          *m.mutable_job_ended() = ToJobEnd(s.job_id(), gone);
          session.Write(m);
        }
      }
    } else if (msg.has_set_time_limit()) {
      const auto& l = msg.set_time_limit();
      const int64_t limit = l.time_limit_s() > 0 ? l.time_limit_s() : 0;
      if (Status st = runner_.SetTimeLimit(l.job_id(), limit); !st.ok()) {
        // Already ended (its end is on its way) or unknown here: nothing left to enforce.
        SLOG_WARN("noded")
            .Msg("time limit not changed")
            .Kv("job", l.job_id())
            .Kv("error", st.message());
      }
    } else if (msg.ack_job_end() != 0) {
      runner_.Forget(msg.ack_job_end());
      std::lock_guard lock(session.write_mu);
      session.reported.erase(msg.ack_job_end());
    }
  }
  session.done = true;
  session.ctx.TryCancel();
  watcher.join();
  {
    std::lock_guard lock(session_mu_);
    session_ = nullptr;
  }
  grpc::Status st = session.stream->Finish();
  SLOG_INFO("noded").Msg("disconnected").Kv("reason", st.error_message());
}

}  // namespace sluice::noded
