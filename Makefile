# Sluice: `make run` and `make test` work on a fresh machine: they install what is missing.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

APT_PACKAGES := libgit2-dev libyaml-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev pkg-config git prometheus python3
DEMO := .sluice/demo-repo
SLUICE := .build/debug/sluice

.PHONY: deps build test run demo-repo policies bench clean

# Install the Debian packages that are missing (apt-get update only when something is).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build

test: deps
	@mkdir -p .build
	swift test 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}

# A Git repository made from example-repo: `main` (production) and `staging` branches.
demo-repo:
	@rm -rf $(DEMO) && mkdir -p $(DEMO) && cp -R example-repo/. $(DEMO)/
	@cd $(DEMO) && git init -q -b main && git add -A && \
	  git -c user.name=sluice -c user.email=sluice@example.com commit -qm "Fleet from example-repo" && \
	  git branch staging

# Until the controller exists: validate the example fleet, plan one cluster (exit 4: changes),
# apply the staging environment to its simulated clusters on virtual time, and plan again
# (exit 0: nothing left to do).
DEMO_STATE := .sluice/demo-state.db
run: build demo-repo
	@rm -f $(DEMO_STATE) $(DEMO_STATE)-wal $(DEMO_STATE)-shm
	$(SLUICE) validate --repo $(DEMO) --rev main --order
	$(SLUICE) plan --repo $(DEMO) --state $(DEMO_STATE) --rev staging --env staging --cluster test-1; test $$? -eq 4
	$(SLUICE) apply --repo $(DEMO) --state $(DEMO_STATE) --rev staging --env staging --virtual-time
	$(SLUICE) plan --repo $(DEMO) --state $(DEMO_STATE) --rev staging --env staging | tail -n 3

policies:
	scripts/embed-policies.sh

# Benchmarks run in release mode and print their figures.
bench: deps
	swift build -c release --product FleetBenchmark
	.build/release/FleetBenchmark $(BENCH_ARGS)

clean:
	rm -rf .build .sluice
