# meshwright: two commands for a newcomer, `make render` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/meshwright
# Tools the tests run for real, built from the Go module proxy into .cache/bin.
TOOLS := $(CURDIR)/.cache/bin
EXAMPLE ?= examples/reference-architecture/spec

.PHONY: all build render test unit golden docs vet clean tools bench image containers conformance

# Pinned tool versions: the versions the product's go.mod pins (see README, Development).
KUSTOMIZE := $(TOOLS)/kustomize
ISTIOCTL := $(TOOLS)/istioctl
KUSTOMIZE_VERSION := v5.8.2
ISTIO_VERSION := v0.0.0-20260827124520-eed52ebb66ad

all: build

build:
	@$(GO) build -o $(BIN) ./cmd/meshwright

## render: render the bundled reference architecture to stdout
render: build
	@$(BIN) render $(EXAMPLE)

## test: everything CI runs
test: vet conformance unit

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

# unit runs ./..., so the conformance tests too (they need istioctl) and the
# end-to-end tests (they run the real kustomize).
# The end-to-end tests build the binary from the sources themselves, which
# go test's cache does not see: they always run (-count=1).
unit: $(ISTIOCTL) $(KUSTOMIZE)
	$(GO) test $$($(GO) list ./... | grep -v '/e2e$$')
	$(GO) test -count=1 ./e2e

## conformance: every rendered tree against the real istioctl (validate, analyze, manifest generate)
## and every object against its upstream CRD schema or k8s.io/api type (internal/conformance)
conformance: $(ISTIOCTL)
	$(GO) test ./internal/conformance

## golden: rewrite the reviewed outputs (rendered/ trees, errors.txt) from the current code; review the diff
golden: $(KUSTOMIZE)
	$(GO) test . -run 'TestGolden|TestRefusals|TestWarnings' -update
	$(GO) test . -run 'TestGolden|TestRefusals|TestWarnings'
	$(GO) test ./e2e -run 'TestKustomizeOverlays' -update
	$(GO) test ./e2e -run 'TestKustomizeOverlays'

## docs: regenerate docs/diagnostics.md (schema/codes.go) and docs/api.md (schema/cueschema/*.cue); review the diff
docs:
	$(GO) test ./schema -run TestDiagnosticsReference -update
	$(GO) test ./schema/jsonschema -run TestReferenceIsCurrent -update

tools: $(KUSTOMIZE) $(ISTIOCTL)

$(KUSTOMIZE):
	GOBIN=$(TOOLS) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(ISTIOCTL):
	GOBIN=$(TOOLS) $(GO) install istio.io/istio/istioctl/cmd/istioctl@$(ISTIO_VERSION)

## image: the KRM function's container image, built with buildah (no Docker engine needed); IMAGE=... to retag
IMAGE ?= localhost/meshwright:dev
image:
	@mkdir -p bin/image
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/image/meshwright ./cmd/meshwright
	@printf 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >bin/image/passwd
	@printf 'nogroup:x:65534:\n' >bin/image/group
	buildah bud --isolation chroot -t $(IMAGE) .

## containers: install and configure buildah and podman (as root; CI runs it)
containers:
	e2e/setup-containers.sh

## bench: platform-scale benchmarks; compare two runs with benchstat old.txt new.txt
BENCH_COUNT ?= 6
bench:
	$(GO) test ./bench -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) | tee bench.txt

clean:
	rm -rf bin
