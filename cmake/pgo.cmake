# Profile-guided optimization (GCC) of the scheduler (sluice_core) and the simulator (sluice_sim).
#
# A nested build under ${CMAKE_BINARY_DIR}/pgo (this project configured with SLUICE_PGO=GENERATE)
# compiles an instrumented copy of them into sluice-pgo-train, which replays synthetic workloads
# (src/sim/pgo_train_main.cc); the real libraries are then compiled with the profile it leaves.
# A whole CEA-Curie conservative replay runs about 7% fewer instructions (docs/simulator.md).
#
# Why a nested build: GCC tells a function of internal linkage (an anonymous namespace: the
# scheduler pass is one) apart by its object's path relative to the build directory, so the
# instrumented objects must lie where the real ones do, in a tree of their own. The profile files
# are named by the objects' absolute paths ('/' as '#'); they are copied to the names the real
# objects look for. Included from CMakeLists.txt once sluice_core and sluice_sim exist.
set(PGO_BUILD ${CMAKE_BINARY_DIR}/pgo)
set(PGO_RAW ${PGO_BUILD}/profile-raw)
set(PGO_USE ${PGO_BUILD}/profile)
set(PGO_STAMP ${PGO_BUILD}/profile.stamp)
# What the training compiles: its sources and headers (a change to any trains again).
set(pgo_inputs ${CMAKE_SOURCE_DIR}/CMakeLists.txt ${CMAKE_SOURCE_DIR}/cmake/pgo.cmake)
foreach(module common core compat sim)
  file(GLOB_RECURSE files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${module}/*.cc
       ${CMAKE_SOURCE_DIR}/src/${module}/*.h)
  list(APPEND pgo_inputs ${files})
endforeach()
set(pgo_launcher)
if(CMAKE_CXX_COMPILER_LAUNCHER)
  set(pgo_launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER})
endif()
add_custom_command(
  OUTPUT ${PGO_STAMP}
  COMMAND ${CMAKE_COMMAND} -S ${CMAKE_SOURCE_DIR} -B ${PGO_BUILD} -G ${CMAKE_GENERATOR}
          -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE} -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
          -DCMAKE_CXX_FLAGS=${CMAKE_CXX_FLAGS} ${pgo_launcher} -DSLUICE_PGO=GENERATE
          -DSLUICE_PGO_RAW=${PGO_RAW}
  COMMAND ${CMAKE_COMMAND} --build ${PGO_BUILD} --target sluice-pgo-train
  # Counts add up from run to run: each training starts from none.
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${PGO_RAW}
  COMMAND ${PGO_BUILD}/sluice-pgo-train
  COMMAND ${CMAKE_COMMAND} -DRAW=${PGO_RAW} -DUSE=${PGO_USE} -DFROM=${PGO_BUILD}
          -DTO=${CMAKE_BINARY_DIR} -P ${CMAKE_SOURCE_DIR}/cmake/pgo_rename.cmake
  COMMAND ${CMAKE_COMMAND} -E touch ${PGO_STAMP}
  DEPENDS ${pgo_inputs}
  COMMENT "Profile-guided optimization: instrumented build and training run (${PGO_BUILD})"
  VERBATIM)
add_custom_target(sluice_pgo_profile DEPENDS ${PGO_STAMP})
foreach(lib sluice_core sluice_sim)
  add_dependencies(${lib} sluice_pgo_profile)
  # Functions the training never ran are optimized as without a profile (not for size), and
  # those it has no record of (inlined into every caller there) are no news.
  target_compile_options(${lib} PRIVATE -fprofile-use -fprofile-dir=${PGO_USE}
                                        -fprofile-partial-training -Wno-missing-profile)
  get_target_property(lib_srcs ${lib} SOURCES)
  set_source_files_properties(${lib_srcs} PROPERTIES OBJECT_DEPENDS ${PGO_STAMP})
endforeach()
