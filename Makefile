# fsc-kernel: Federated Secure Computing for analysts.
#   make demo    three hospitals on loopback and a study on them
#   make test    every test (installs what it needs first), and builds for
#                macOS and Windows
#   make bench   benchmarks; the federation table goes to bench/results.md
#   make stress  the kernel's Jupyter suites 50 times in a row on a busy core

GO      ?= go
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
BIN     := bin

.PHONY: build demo test unit fuzz vet cross deps test-deps bench stress install clean

build:
	$(GO) build -o $(BIN)/ ./cmd/...

deps:
	@command -v $(GO) >/dev/null || { echo "Go is missing: install Go 1.26.8 or newer (https://go.dev/dl) and put it on PATH"; exit 1; }
	$(GO) mod download

# The tests drive the kernel with Debian's Jupyter: jupyter_client, the
# community's kernel test suite, nbclient and nbconvert. They belong to
# Debian's own interpreter, /usr/bin/python3.
DEBS := jupyter-client python3-jupyter-client python3-jupyter-kernel-test python3-nbclient python3-nbformat jupyter-nbconvert
PYTHON := /usr/bin/python3
# R and its survival package are the plaintext oracle of the survival
# statistics (Kaplan–Meier, log-rank, Cox).
RDEBS := r-base-core r-cran-survival

test-deps:
	@if $(PYTHON) -c 'import jupyter_client, jupyter_kernel_test, nbclient, nbformat, nbconvert' 2>/dev/null && [ -x /usr/bin/jupyter-kernelspec ] && [ -x /usr/bin/jupyter-nbconvert ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(DEBS)"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEBS); \
	else \
	  echo "the tests need Debian's Jupyter packages for $(PYTHON): sudo apt-get install -y $(DEBS)"; exit 1; \
	fi
	@if /usr/bin/Rscript -e 'library(survival)' >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(RDEBS)"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(RDEBS); \
	else \
	  echo "the tests compare survival statistics with R: sudo apt-get install -y $(RDEBS)"; exit 1; \
	fi

demo: deps build
	$(GO) run ./examples/demo -bin $(BIN)/fsc-node -dir examples/federation

test: deps test-deps vet cross fuzz unit

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...

# Both binaries build for the analysts' and owners' other systems.
cross:
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/fsc-kernel
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/fsc-node
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/fsc-kernel
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/fsc-node

unit: build
	$(GO) test -count=1 -timeout 20m ./...

# Short runs of every fuzz target (go test takes one target at a time).
# Budgets are counts of inputs, not durations: Go 1.26's fuzz coordinator
# can report a spurious "context deadline exceeded" when a duration ends
# (golang/go#75804). Each run takes a few seconds here.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzMessageDecode$$' -fuzztime=200000x ./mpc
	$(GO) test -run='^$$' -fuzz='^FuzzStreamFrames$$' -fuzztime=100000x ./mpc
	$(GO) test -run='^$$' -fuzz='^FuzzParseBody$$' -fuzztime=100000x ./mpc/node
	$(GO) test -run='^$$' -fuzz='^FuzzLoadConfig$$' -fuzztime=20000x ./mpc/node
	$(GO) test -run='^$$' -fuzz='^FuzzReleaseRecord$$' -fuzztime=50000x ./mpc/node
	$(GO) test -run='^$$' -fuzz='^FuzzReadCSV$$' -fuzztime=50000x ./stats
	$(GO) test -run='^$$' -fuzz='^FuzzParseFilter$$' -fuzztime=200000x ./stats
	$(GO) test -run='^$$' -fuzz='^FuzzFStrings$$' -fuzztime=100000x ./script/python/internal/gpyext
	$(GO) test -run='^$$' -fuzz='^FuzzPyFormat$$' -fuzztime=100000x ./script/python/internal/gpyext
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeMessage$$' -fuzztime=200000x ./kernel

bench: deps test-deps build
	$(GO) test -run='^$$' -bench=. -benchmem -count=1 ./stats ./mpc ./script/... ./kernel
	$(GO) run ./bench -bin $(BIN)/fsc-node -out bench/results.md

# Not part of test (it takes about half an hour): the conformance suite
# and the ordering tests (interrupts, stop_on_error, iopub), both
# languages, STRESS_RUNS times in a row while one core is kept busy.
STRESS_RUNS ?= 50
stress: deps test-deps build
	kernel/testdata/stress.sh $(BIN)/fsc-kernel $(STRESS_RUNS)

# go install the binaries, then the kernelspecs fsc and fsc-lua for this user.
install:
	$(GO) install ./cmd/...
	@bin=$$($(GO) env GOBIN); [ -n "$$bin" ] || bin=$$($(GO) env GOPATH)/bin; \
	  echo "$$bin/fsc-kernel install --user"; "$$bin/fsc-kernel" install --user

clean:
	rm -rf $(BIN) examples/federation/.local
