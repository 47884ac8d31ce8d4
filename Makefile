# meshwright: two commands for a newcomer, `make render` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/meshwright
# Tools the tests run for real, built from the Go module proxy into .cache/bin.
TOOLS := $(CURDIR)/.cache/bin
EXAMPLE ?= examples/reference-architecture/spec

.PHONY: all build render test unit golden docs vet clean tools bench image containers conformance apiserver

# Pinned tool versions: the versions the product's go.mod pins (see README, Development).
KUSTOMIZE := $(TOOLS)/kustomize
ISTIOCTL := $(TOOLS)/istioctl
KUSTOMIZE_VERSION := v5.8.2
ISTIO_VERSION := v0.0.0-20260827124520-eed52ebb66ad
# kube-apiserver and etcd: versions pinned by tools/apiserver/go.mod (k8s.io/kubernetes
# v1.37.2, the release of go.mod's k8s.io/api v0.37.2, and the etcd it pins).
KUBE_APISERVER := $(TOOLS)/kube-apiserver
ETCD := $(TOOLS)/etcd

all: build

build:
	@$(GO) build -o $(BIN) ./cmd/meshwright

## render: render the bundled reference architecture to stdout
render: build
	@$(BIN) render $(EXAMPLE)

## test: everything CI runs
test: vet conformance apiserver unit

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

# unit runs ./..., so the conformance tests too (they need istioctl), the
# API-server check (kube-apiserver and etcd; cached after `make apiserver`) and
# the end-to-end tests (they run the real kustomize).
# The end-to-end tests build the binary from the sources themselves, which
# go test's cache does not see: they always run (-count=1).
unit: $(ISTIOCTL) $(KUSTOMIZE) $(KUBE_APISERVER) $(ETCD)
	$(GO) test $$($(GO) list ./... | grep -v '/e2e$$')
	$(GO) test -count=1 ./e2e

## conformance: every rendered tree against the real istioctl (validate, analyze, manifest generate)
## and every object against its upstream CRD schema or k8s.io/api type (internal/conformance)
conformance: $(ISTIOCTL)
	$(GO) test ./internal/conformance

## apiserver: every rendered tree and overlay output applied to a real kube-apiserver (internal/apiserver):
## strict server-side dry run, server-side apply, and a re-apply that changes nothing
apiserver: $(KUBE_APISERVER) $(ETCD)
	$(GO) test ./internal/apiserver

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

tools: $(KUSTOMIZE) $(ISTIOCTL) $(KUBE_APISERVER) $(ETCD)

$(KUSTOMIZE):
	GOBIN=$(TOOLS) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(ISTIOCTL):
	GOBIN=$(TOOLS) $(GO) install istio.io/istio/istioctl/cmd/istioctl@$(ISTIO_VERSION)

# k8s.io/kubernetes cannot be go install'ed at a version (its go.mod replaces its
# staging modules with local directories), nor can etcd's server module: both are
# built from tools/apiserver, a module of their own. With an empty build cache both
# take about 8 minutes on 2 cores (module downloads aside). kube-apiserver's version
# is stamped the way Kubernetes' own build does it, so the server reports the
# release it is (not v0.0.0-master).
$(KUBE_APISERVER):
	cd tools/apiserver && v=$$($(GO) list -m -f '{{.Version}}' k8s.io/kubernetes) && \
	IFS=. read -r major minor _ <<<"$${v#v}" && \
	GOFLAGS=-mod=mod CGO_ENABLED=0 GOBIN=$(TOOLS) $(GO) install -ldflags "\
	  -X k8s.io/component-base/version.gitVersion=$$v \
	  -X k8s.io/component-base/version.gitMajor=$$major -X k8s.io/component-base/version.gitMinor=$$minor" \
	  ./kube-apiserver

$(ETCD):
	cd tools/apiserver && GOFLAGS=-mod=mod CGO_ENABLED=0 GOBIN=$(TOOLS) $(GO) install ./etcd

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
BENCH_10K_COUNT ?= 3
bench:
	$(GO) test ./bench -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) | tee bench.txt
	MESHWRIGHT_BENCH_10K=1 $(GO) test ./bench -run '^$$' -bench '(EndToEnd|BinaryRender)/tenants=10000$$' -benchtime 1x -benchmem -count $(BENCH_10K_COUNT) | tee -a bench.txt

clean:
	rm -rf bin
