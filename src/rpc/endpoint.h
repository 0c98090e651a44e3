// Where a cluster is and how to prove we may use it: the state directory's files, shared by
// sluiced (writes them), sluice-noded and the CLI (read them).
#pragma once

#include <string>

#include "common/status.h"

namespace sluice::rpc {

// The files in a state directory (0700, private to the user who started the cluster).
inline constexpr const char* kControllerFile = "controller.json";  // {"rest": ..., "grpc": ...}
inline constexpr const char* kTokenFile = "token";                 // the secret, 0600
inline constexpr const char* kControllerPidFile = "sluiced.pid";
inline constexpr const char* kDefaultStateDir = ".sluice";

struct Endpoint {
  std::string rest;   // host:port of the REST API
  std::string grpc;   // host:port of the agents' gRPC API
  std::string token;  // bearer token
};

// The state directory a command means: $SLUICE_STATE_DIR, else the nearest ./.sluice walking up
// from the current directory, else ./.sluice (which may not exist yet). Absolute.
std::string DefaultStateDir();

// Reads controller.json and the token from `state_dir`.
Result<Endpoint> ReadEndpoint(const std::string& state_dir);

// What the CLI connects to: $SLUICE_URI (http://host:port) with $SLUICE_TOKEN or the token file
// $SLUICE_TOKEN_FILE, else the state directory's files.
Result<Endpoint> ResolveEndpoint();

// Writes controller.json atomically.
Status WriteEndpoint(const std::string& state_dir, const Endpoint& endpoint);

// Returns the token in `state_dir`, creating a random one (0600) if there is none.
Result<std::string> EnsureToken(const std::string& state_dir);

// Creates `dir` (and parents) with mode 0700 if missing; fails if it exists and others can
// read or write it.
Status EnsurePrivateDir(const std::string& dir);

// Reads a whole file.
Result<std::string> ReadFile(const std::string& path);
// Writes a whole file atomically (temporary file + rename) with `mode`.
Status WriteFileAtomic(const std::string& path, const std::string& content, int mode = 0644);

}  // namespace sluice::rpc
