# meshwright: two commands for a newcomer, `make render` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/meshwright
# Tools the tests run for real, built from the Go module proxy into .cache/bin.
TOOLS := $(CURDIR)/.cache/bin
EXAMPLE ?= examples/reference-architecture/spec

.PHONY: all build render test unit golden vet clean

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
	$(GO) test ./fn -run 'TestGolden|TestInvalidInputs' -update
	$(GO) test ./fn -run 'TestGolden|TestInvalidInputs'

clean:
	rm -rf bin
