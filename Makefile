# The two commands a newcomer needs: `make demo` and `make test`. Both install what is missing
# (Debian 12 packages), build, and then run.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test bench sched-bench sim-bench format clean down

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

# A 4-node local cluster running a small mixed workload; it stays up afterwards.
demo: build
	scripts/demo.sh $(BUILD)/bin

# Every test: unit tests, then integration tests that start real daemons.
test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 300 -j 2

bench: build
	bench/throughput.sh 1000

sched-bench: build
	$(BUILD)/bench/sched_bench

sim-bench: build
	bench/sim/replay.sh $(BUILD)/bin/sluice

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

down:
	$(BUILD)/bin/sluice down

clean:
	rm -rf $(BUILD)
