# Sluice: `make run` and `make test` work on a fresh machine: they install what is missing.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

APT_PACKAGES := libgit2-dev libyaml-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev zlib1g-dev libpq-dev postgresql pkg-config git prometheus python3 openssl libcrypt1 chromium
HELM_SDK_VERSION := 0.2.2
DEMO := .sluice/demo-repo
SLUICE := .build/debug/sluice

.PHONY: deps build test run demo-repo policies bench fuzz clean

# Install the Debian packages that are missing (apt-get update only when something is).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@# Real Helm for the chart tests (Helm's Go SDK as a C library, called from Python).
	@python3 -c "import helm_python" 2>/dev/null || python3 -m pip install -q --break-system-packages "helm-python-sdk==$(HELM_SDK_VERSION)" \
	  || python3 -m pip install -q "helm-python-sdk==$(HELM_SDK_VERSION)"

build: deps
	swift build

test: deps
	@mkdir -p .build
	# Every test has a time limit (10 minutes); this is the backstop for one that blocks a thread.
	timeout --signal=KILL 80m swift test 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}

# A Git repository made from example-repo: `main` (production) and `staging` branches.
demo-repo:
	@rm -rf $(DEMO) && mkdir -p $(DEMO) && cp -R example-repo/. $(DEMO)/
	@cd $(DEMO) && git init -q -b main && git add -A && \
	  git -c user.name=sluice -c user.email=sluice@example.com commit -qm "Fleet from example-repo" && \
	  git branch staging

# The controller on a fresh Git copy of example-repo and its simulated fleet, with time sped
# up 720 times (an hour in 5 s) from a Monday morning, so that the production pipeline's
# bakes and windows pass in about two minutes. It shows the live view and keeps watching:
# commit to .sluice/demo-repo (see the README) and watch each change roll out. Ctrl-C stops it.
DEMO_STATE := .sluice/demo-state.db
run: build demo-repo
	@rm -f $(DEMO_STATE) $(DEMO_STATE)-wal $(DEMO_STATE)-shm
	$(SLUICE) validate --repo $(DEMO) --rev main
	$(SLUICE) run --repo $(DEMO) --state $(DEMO_STATE) --time-scale 720 --clock-start 2027-01-18T07:30:00Z \
	  --interval 30m --poll 1m --resync 6h

policies:
	scripts/embed-policies.sh

# Benchmarks run in release mode and print their figures.
# wrk (Debian's) loads the API during `--rollout --serve`.
bench:
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(APT_PACKAGES) wrk"
	swift build -c release --product FleetBenchmark
	.build/release/FleetBenchmark $(BENCH_ARGS)

# Coverage-guided fuzzing (libFuzzer): the YAML readers, Go's regular expressions, a chart's
# values.schema.json, the template parser and evaluator, and
# the offline schema validator, webhook deliveries,
# FUZZ_SECONDS each, from the seed corpus in Fuzz/corpus (what it finds grows in
# .build/fuzz/work-*; a crash or hang is saved as .build/fuzz/<target>-crash-* and fails).
FUZZ_SECONDS ?= 60
fuzz: deps
	scripts/build-fuzzers.sh
	@for target in yaml regex values-schema template schema webhook; do \
	  mkdir -p .build/fuzz/work-$$target; \
	  SWIFT_BACKTRACE=enable=no .build/fuzz/fuzz-$$target .build/fuzz/work-$$target Fuzz/corpus/$$target \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=.build/fuzz/$$target- -print_final_stats=1 > .build/fuzz/$$target.log 2>&1; status=$$?; \
	  echo "fuzz-$$target:"; grep -E "^(stat::number_of_executed_units|stat::peak_rss|Done|==[0-9]+==|SUMMARY)|crash-|timeout-|oom-" .build/fuzz/$$target.log; \
	  [ $$status = 0 ] || exit 1; \
	done

clean:
	rm -rf .build .sluice
