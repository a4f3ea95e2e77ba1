# kycdesk: the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
BIN     := bin/kycdesk
SQLC    := $(GO) run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
APT     := DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0

.PHONY: run build test test-deps run-deps generate check-generated bench crash fuzz vet fmt clean

## run: build and start kycdesk with its private PostgreSQL cluster, demo users and demo data
run: run-deps build
	./$(BIN) serve --demo

## build: compile bin/kycdesk
build:
	$(GO) build -o $(BIN) ./cmd/kycdesk

## test: install what the tests need if missing, then run every test, browser tests included
test: test-deps
	@$(MAKE) --no-print-directory check-templ
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	@if [ "$$CI" = true ]; then FUZZTIME=$${FUZZTIME:-200x} .ci/fuzz; fi

## fuzz: run every fuzz target for FUZZTIME each (default 5s; FUZZTIME=10m for a long run)
fuzz:
	.ci/fuzz

## bench: run the benchmarks (speed and memory targets live here, never in timed tests)
bench: test-deps
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m $$($(GO) list ./... | grep -v '/internal/loadtest$$')
	$(GO) test -run '^$$' -bench . -benchtime=1x -timeout 60m ./internal/loadtest/

## crash: kill the server with SIGKILL 20 times in a batch of checks and verdicts (go test does 3)
crash: run-deps
	KYCDESK_CRASH_KILLS=$${KYCDESK_CRASH_KILLS:-20} $(GO) test -count=1 -v -run 'TestCrashConsistency$$' -timeout 30m ./internal/resilience

# PostgreSQL's server binaries (initdb, pg_ctl) are needed by make run and the tests.
run-deps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || [ -n "$$DATABASE_URL" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then echo "Installing Debian's postgresql package..."; \
		apt-get update -q && $(APT) install --no-install-recommends postgresql; \
	else echo "PostgreSQL server binaries are missing: run 'sudo apt-get install postgresql', or set DATABASE_URL."; exit 1; fi

# The tests also need Chromium (and a font for readable screenshots).
test-deps: run-deps
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "$$KYCDESK_CHROMIUM" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then echo "Installing Debian's chromium package..."; \
		apt-get update -q && $(APT) install --no-install-recommends chromium fonts-dejavu-core; \
	else echo "Chromium is missing: run 'sudo apt-get install chromium'."; exit 1; fi

## generate: regenerate the sqlc queries and templ views (the generated code is committed)
generate:
	$(SQLC) generate
	$(GO) tool templ generate

# The committed templ output must match the .templ files.
check-templ:
	@$(GO) tool templ generate >/dev/null
	@git diff --quiet -- '*_templ.go' || { echo "templ generate changed files: commit the generated code"; git --no-pager diff --stat -- '*_templ.go'; exit 1; }

## check-generated: fail when `make generate` would change committed files
check-generated: generate
	@git diff --quiet -- internal/db '*_templ.go' || { echo "generated code is stale: run make generate and commit"; exit 1; }

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '_templ.go$$')

clean:
	rm -rf bin tmp
