#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdio>

#include "cli/cli.h"
#include "common/strings.h"
#include "rpc/endpoint.h"

namespace sluice::cli {

int ExitCode(Code code) {
  switch (code) {
    case Code::kOk:
      return 0;
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
    case Code::kPermissionDenied:
    case Code::kUnauthenticated:
    case Code::kUnavailable:
    case Code::kInternal:
      return 1;
  }
  return 1;
}

int Report(const char* prog, const Status& st) {
  if (st.ok()) return 0;
  fprintf(stderr, "%s: error: %s\n", prog, st.message().c_str());
  return ExitCode(st.code());
}

Result<rpc::RestClient> Connect() {
  SLUICE_ASSIGN_OR_RETURN(rpc::Endpoint e, rpc::ResolveEndpoint());
  return rpc::RestClient(std::move(e));
}

UserInfo CurrentUser() {
  UserInfo u;
  u.uid = getuid();
  u.gid = getgid();
  if (passwd* pw = getpwuid(u.uid); pw != nullptr)
    u.name = pw->pw_name;
  else
    u.name = std::to_string(u.uid);
  if (group* gr = getgrgid(u.gid); gr != nullptr)
    u.group = gr->gr_name;
  else
    u.group = std::to_string(u.gid);
  return u;
}

std::vector<std::string> CommaList(const std::string& s) {
  std::vector<std::string> out;
  for (auto& part : str::Split(s, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

Status ParseJobIds(const std::vector<std::string>& words, std::vector<uint32_t>* ids) {
  for (const auto& w : words) {
    for (const auto& part : CommaList(w)) {
      uint64_t v = 0;
      if (!str::ParseUint(part, &v) || v == 0 || v > UINT32_MAX) {
        return InvalidArgument("Invalid job id " + part);
      }
      ids->push_back(static_cast<uint32_t>(v));
    }
  }
  return Status::Ok();
}

bool ParsedArgs::Has(const std::string& name) const {
  for (const auto& [k, v] : options) {
    if (k == name) return true;
  }
  return false;
}

std::string ParsedArgs::Value(const std::string& name) const {
  std::string out;
  for (const auto& [k, v] : options) {
    if (k == name) out = v;
  }
  return out;
}

Result<ParsedArgs> ParseOptions(const char* prog, const Args& args,
                                const std::vector<Option>& options) {
  std::vector<char*> argv;
  std::string prog_name = prog;
  argv.push_back(prog_name.data());
  std::vector<std::string> copies(args);
  for (auto& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string shorts = ":";  // a leading ':' reports a missing value apart from a bad option
  std::vector<option> longs;
  for (size_t i = 0; i < options.size(); ++i) {
    const Option& o = options[i];
    longs.push_back({o.long_name, o.has_value ? required_argument : no_argument, nullptr,
                     static_cast<int>(256 + i)});
    if (o.short_name != 0) {
      shorts += o.short_name;
      if (o.has_value) shorts += ':';
    }
  }
  longs.push_back({nullptr, 0, nullptr, 0});
  ParsedArgs out;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(static_cast<int>(argv.size() - 1), argv.data(), shorts.c_str(),
                          longs.data(), nullptr)) != -1) {
    if (c == '?') {
      std::string bad = optopt != 0 ? std::string("-") + static_cast<char>(optopt)
                                    : std::string(argv[optind - 1]);
      if (optopt == 0 && bad.rfind("--", 0) == 0) {
        return InvalidArgument("unrecognized option '" + bad + "'\nTry \"" + prog +
                               " --help\" for more information");
      }
      return InvalidArgument("invalid option -- '" + bad.substr(1) + "'\nTry \"" + prog +
                             " --help\" for more information");
    }
    if (c == ':') {
      return InvalidArgument("option '" + std::string(argv[optind - 1]) + "' requires an argument");
    }
    const Option* o = nullptr;
    if (c >= 256) {
      o = &options[static_cast<size_t>(c - 256)];
    } else {
      for (const auto& opt : options) {
        if (opt.short_name == c) o = &opt;
      }
    }
    if (o == nullptr) continue;
    out.options.emplace_back(o->long_name, o->has_value && optarg != nullptr ? optarg : "");
  }
  for (int i = optind; i < static_cast<int>(argv.size() - 1); ++i)
    out.positional.push_back(argv[i]);
  return out;
}

}  // namespace sluice::cli
