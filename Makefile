# meshwright: two commands for a newcomer, `make render` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/meshwright
# Tools the tests run for real, built from the Go module proxy into .cache/bin.
TOOLS := $(CURDIR)/.cache/bin
EXAMPLE ?= examples/reference-architecture/spec

.PHONY: all build render test unit golden vet clean tools

# Pinned tool versions (see ../shared/design/ARCHITECTURE.md).
KUSTOMIZE := $(TOOLS)/kustomize
ISTIOCTL := $(TOOLS)/istioctl
KUSTOMIZE_VERSION := v5.8.2
ISTIO_VERSION := v0.0.0-20260827124520-eed52ebb66ad

all: build

build:
	@$(GO) build -o $(BIN) ./fn

## render: render the bundled reference architecture to stdout
render: build
	@$(BIN) render $(EXAMPLE)

## test: everything CI runs
test: vet unit

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

unit:
	$(GO) test ./...

## golden: rewrite the reviewed outputs (rendered/ trees, errors.txt) from the current code; review the diff
golden:
	$(GO) test ./fn -run 'TestGolden|TestInvalidInputs|TestWarnings' -update
	$(GO) test ./fn -run 'TestGolden|TestInvalidInputs|TestWarnings'

tools: $(KUSTOMIZE) $(ISTIOCTL)

$(KUSTOMIZE):
	GOBIN=$(TOOLS) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(ISTIOCTL):
	GOBIN=$(TOOLS) $(GO) install istio.io/istio/istioctl/cmd/istioctl@$(ISTIO_VERSION)

clean:
	rm -rf bin
