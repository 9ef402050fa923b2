# chatkey — build, test and demo. `make help` lists the targets.
#
# Every target installs what it needs and skips what is done already: Debian packages
# (scripts/ensure-apt.sh), the Python venv for the end-to-end tests (.venv,
# scripts/ensure-venv.sh), Google's discovery documents (target/specs). Nothing is cached
# outside the clone except what cargo and apt keep in their usual places.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# Steps share apt, cargo's lock and one request log: never run them side by side.
.NOTPARALLEL:
.DELETE_ON_ERROR:

CARGO ?= cargo
PYTHON ?= python3
VENV ?= .venv
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
SPECS_DIR := $(CURDIR)/target/specs
REQUEST_LOG := $(CURDIR)/target/emulator-requests.jsonl
SLACK_REQUEST_LOG := $(CURDIR)/target/slack-emulator-requests.jsonl
TEAMS_REQUEST_LOG := $(CURDIR)/target/teams-emulator-requests.jsonl
SESSION := scripts/with-session.sh

# --- Debian packages -------------------------------------------------------------------
APT_BUILD := pkg-config libdbus-1-dev
APT_GTK := libgtk-3-dev libayatana-appindicator3-dev
APT_TEST := dbus dbus-x11 gnome-keyring keyutils xvfb xauth dunst libsecret-tools
APT_GUI_TEST := xdotool x11-utils imagemagick trayer
# GTK=1 adds the tray's build deps; GTK=auto (default) adds them as soon as Cargo.toml
# depends on tao, tray-icon or gtk. GUI_TESTS=1 (default) adds the tray screenshot tools and
# makes the tray test (tests/tray.rs: Xvfb + trayer screenshots) required; GUI_TESTS=0 lets it skip.
GTK ?= auto
GUI_TESTS ?= 1
ifeq ($(GTK),auto)
override GTK := $(shell grep -Eq '^[[:space:]]*(tao|tray-icon|gtk)[[:space:]]*=' Cargo.toml && echo 1 || echo 0)
endif
ifeq ($(GTK),1)
APT_BUILD += $(APT_GTK)
endif
ifeq ($(GUI_TESTS),1)
APT_TEST += $(APT_GUI_TEST)
endif

# In CI (CI=true) every test step has a time limit, so a hang shows up in minutes with its
# log instead of eating the job's 90. Locally there is none (Ctrl-C must reach the tests).
RUST_TEST_TIMEOUT ?= 15m
E2E_TIMEOUT ?= 10m
bounded = $(if $(filter true 1 yes,$(CI)),timeout --kill-after=30s $(1))

# A readable CI log: one header per step.
section = @printf '\n==== [%s] %s ====\n' "$$(date +%T)" "$(1)"

# What the tests get (tests/e2e/README.md; the Rust tests read the first two).
TEST_TARGETS := test test-rust test-e2e discovery-check slack-check graph-check
$(TEST_TARGETS): export CHATKEY_SPECS_DIR := $(SPECS_DIR)
$(TEST_TARGETS): export CHATKEY_EMULATOR_REQUEST_LOG := $(REQUEST_LOG)
$(TEST_TARGETS): export CHATKEY_SLACK_EMULATOR_REQUEST_LOG := $(SLACK_REQUEST_LOG)
$(TEST_TARGETS): export CHATKEY_TEAMS_EMULATOR_REQUEST_LOG := $(TEAMS_REQUEST_LOG)
$(TEST_TARGETS): export CHATKEY_BIN_DIR ?= $(TARGET_DIR)/debug
$(TEST_TARGETS): export RUST_BACKTRACE := 1
# Inside the session a Secret Service always runs: a test that cannot reach it is a failure.
$(TEST_TARGETS): export CHATKEY_REQUIRE_KEYRING := 1
ifeq ($(GUI_TESTS),1)
$(TEST_TARGETS): export CHATKEY_REQUIRE_TRAY := 1
endif
# No __pycache__ in tests/e2e (pytest honours this for its rewritten test modules too).
$(TEST_TARGETS): export PYTHONDONTWRITEBYTECODE := 1
# tests/packaging.rs unpacks the .deb `make deb` built; under `make test` (which builds it
# first) a missing one is a failure, elsewhere the test says so and skips.
test: export CHATKEY_REQUIRE_DEB := 1

# cargo-nextest when installed, else cargo test (expanded only by test-rust).
HAVE_NEXTEST = $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo yes)

.PHONY: help deps deps-build venv specs build fmt fmt-check clippy check-headless \
	test test-rust test-e2e discovery-check slack-check graph-check bench demo clean check-targets deb

help: ## list the targets
	@echo "chatkey make targets:"
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## (.*)/\1|\2/' | \
	  awk -F'|' '{ printf "  %-16s %s\n", $$1, $$2 }'
	@echo
	@echo "Variables: GTK=auto|0|1 (tray build deps, now $(GTK)), GUI_TESTS=0|1, CI=true (time limits)"

# --- set-up ----------------------------------------------------------------------------

deps-build: ## install the Debian build dependencies (when missing)
	$(call section,build dependencies (apt))
	scripts/ensure-apt.sh $(APT_BUILD)

deps: deps-build ## install build and test dependencies (when missing)
	$(call section,test dependencies (apt))
	scripts/ensure-apt.sh $(APT_TEST)

venv: ## create .venv with the e2e test requirements (when missing or changed)
	$(call section,python venv)
	PYTHON="$(PYTHON)" scripts/ensure-venv.sh "$(VENV)" tests/e2e/requirements.txt

SPEC_FILES := chat.v1.json people.v1.json oauth2.v2.json
# fetch-specs.sh downloads what is missing and checks every document, old or new, against
# scripts/specs.sha256 (committed), so it runs every time; it is quick when they are there.
specs: ## fetch Google's discovery documents, Slack's and Microsoft Graph's SDK sources into target/specs (when missing) and check them
	$(call section,Google discovery documents)
	@test -x scripts/fetch-specs.sh || { echo "error: scripts/fetch-specs.sh is missing or not executable" >&2; exit 1; }
	@missing=0; for f in $(SPEC_FILES); do test -s "$(SPECS_DIR)/$$f" || missing=1; done; \
	if [ "$$missing" = 1 ]; then $(MAKE) --no-print-directory venv; fi
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" scripts/fetch-specs.sh "$(SPECS_DIR)"
	$(call section,Slack SDK sources (slack_sdk methods and @slack/web-api response types))
	scripts/fetch-slack-specs.sh "$(SPECS_DIR)/slack"
	@for f in methods.json responses.json; do \
	  test -s "$(SPECS_DIR)/slack/$$f" || { echo "error: fetch-slack-specs.sh did not produce $(SPECS_DIR)/slack/$$f" >&2; exit 1; }; \
	done
	$(call section,Microsoft Graph SDK sources (msgraph-sdk request builders and models))
	scripts/fetch-graph-specs.sh "$(SPECS_DIR)/graph"
	@for f in routes.json models.json; do \
	  test -s "$(SPECS_DIR)/graph/$$f" || { echo "error: fetch-graph-specs.sh did not produce $(SPECS_DIR)/graph/$$f" >&2; exit 1; }; \
	done

# --- build and lint ----------------------------------------------------------------------

build: deps-build ## build both binaries (debug)
	$(call section,cargo build --bins)
	$(CARGO) build --bins

fmt: ## format the code
	$(CARGO) fmt --all

fmt-check: ## check formatting (as CI does)
	$(call section,cargo fmt --check)
	$(CARGO) fmt --all -- --check

clippy: deps-build ## clippy on every target, warnings are errors
	$(call section,cargo clippy)
	$(CARGO) clippy --all-targets -- -D warnings

check-headless: deps-build ## the headless build (--no-default-features) compiles
	$(call section,headless build (--no-default-features) compiles)
	$(CARGO) check --no-default-features --bins

# Windows and macOS: `cargo check` only (no linker or C toolchain for them here). Build
# scripts that compile C get packaging/stub-cc.sh, which compiles nothing and creates the
# files they expect; only our Rust code and the crates' Rust code are checked.
CROSS_TARGETS := x86_64-pc-windows-msvc aarch64-apple-darwin
STUB_CC := $(CURDIR)/packaging/stub-cc.sh

check-targets: ## cargo check for Windows and macOS (adds the rustup targets when missing)
	$(call section,cargo check for $(CROSS_TARGETS))
	@installed="$$(rustup target list --installed)"; \
	for t in $(CROSS_TARGETS); do \
	  grep -qx "$$t" <<<"$$installed" && continue; \
	  echo "+ rustup target add $$t"; \
	  rustup target add "$$t" || { echo "error: rustup could not add the $$t target (it downloads rust-std: is the network reachable?)" >&2; exit 1; }; \
	done
	@for t in $(CROSS_TARGETS); do \
	  v="$$(tr - _ <<<"$$t")"; \
	  echo "+ cargo check --target $$t --lib --bins"; \
	  env "CC_$$v=$(STUB_CC)" "AR_$$v=$(STUB_CC)" $(CARGO) check --target "$$t" --lib --bins || exit 1; \
	done

# --- packages ----------------------------------------------------------------------------

DEB_DIR := $(TARGET_DIR)/debian
# `make deb` packages release binaries. `make test` packages a `deb-check` build (Cargo.toml:
# the release profile with the optimiser off): the test checks the packaging, not the
# optimiser, which saves the optimised release build on CI's two cores. cargo-deb refuses
# the `dev` profile ("will be a hard error in the future").
DEB_PROFILE ?= release
test: DEB_PROFILE = deb-check
deb: deps-build ## build the .deb with cargo-deb (into target/debian) and run lintian on it
	$(call section,cargo deb)
	@$(CARGO) deb --version >/dev/null 2>&1 || { echo "+ cargo install cargo-deb --locked"; $(CARGO) install cargo-deb --locked; }
	scripts/ensure-apt.sh dpkg-dev lintian
	rm -f "$(DEB_DIR)"/chatkey_*.deb
	$(CARGO) deb --profile $(DEB_PROFILE)
	$(call section,lintian)
	@deb="$$(ls "$(DEB_DIR)"/chatkey_*.deb)"; echo "+ lintian $$deb"; \
	lintian --fail-on error "$$deb"

# --- tests -------------------------------------------------------------------------------

test: deps venv specs fmt-check clippy check-headless check-targets build deb test-rust test-e2e discovery-check slack-check graph-check ## everything CI runs, set-up included
	@printf '\n==== [%s] make test: all steps passed ====\n' "$$(date +%T)"

# The Rust tests, inside a private desktop session (Secret Service, Xvfb, notifications).
# discovery_request_log, slack_request_log and teams_request_log run last, on their own,
# once every client request is in the logs.
test-rust: deps specs ## the Rust tests, in a private session
	$(call section,Rust tests (inside scripts/with-session.sh))
	@echo "env: CHATKEY_SPECS_DIR=$$CHATKEY_SPECS_DIR CHATKEY_EMULATOR_REQUEST_LOG=$$CHATKEY_EMULATOR_REQUEST_LOG CHATKEY_SLACK_EMULATOR_REQUEST_LOG=$$CHATKEY_SLACK_EMULATOR_REQUEST_LOG"
	@mkdir -p "$(dir $(REQUEST_LOG))" && : > "$(REQUEST_LOG)" && : > "$(SLACK_REQUEST_LOG)" && : > "$(TEAMS_REQUEST_LOG)"
ifeq ($(HAVE_NEXTEST),yes)
	$(call bounded,$(RUST_TEST_TIMEOUT)) $(SESSION) $(CARGO) nextest run --no-fail-fast -E 'not test(discovery_request_log) and not test(slack_request_log) and not test(teams_request_log)'
	$(CARGO) test --doc
else
	@echo "(cargo-nextest is not installed: using cargo test)"
	$(call bounded,$(RUST_TEST_TIMEOUT)) $(SESSION) $(CARGO) test --no-fail-fast -- --skip discovery_request_log --skip slack_request_log --skip teams_request_log
endif

# The official MCP Python SDK against the real chatkey-mcp (tests/e2e).
test-e2e: deps venv build ## the Python MCP SDK end-to-end tests, in a private session
	$(call section,end-to-end tests: Python MCP SDK (inside scripts/with-session.sh))
	@echo "env: CHATKEY_BIN_DIR=$$CHATKEY_BIN_DIR"
	rc=0; $(call bounded,$(E2E_TIMEOUT)) $(SESSION) "$(VENV)/bin/python" -m pytest tests/e2e -ra || rc=$$?; \
	if [ "$$rc" -eq 5 ]; then echo "error: pytest collected no tests (exit 5)" >&2; fi; \
	exit "$$rc"

# Every request the client sent during the tests, checked against the discovery documents.
discovery-check: specs ## check the logged requests against the discovery documents
	$(call section,discovery check of the request log)
	@test -s "$(REQUEST_LOG)" || { echo "error: $(REQUEST_LOG) is empty: the emulator logged no requests" >&2; exit 1; }
	@echo "$$(wc -l < "$(REQUEST_LOG)") requests logged"
	$(CARGO) test --test integration discovery_request_log 2>&1 | tee "$(CURDIR)/target/discovery-check.log"
	@grep -Eq '^test result: ok\. [1-9]' "$(CURDIR)/target/discovery-check.log" || \
	  { echo "error: no test named discovery_request_log ran" >&2; exit 1; }

# Every request sent to the Slack emulator during the tests, checked against slack_sdk's
# methods and parameters (its own log, so each check reads only its own provider's traffic).
slack-check: specs ## check the logged Slack requests against slack_sdk's methods and parameters
	$(call section,slack_sdk check of the Slack request log)
	@test -s "$(SLACK_REQUEST_LOG)" || { echo "error: $(SLACK_REQUEST_LOG) is empty: the Slack emulator logged no requests" >&2; exit 1; }
	@echo "$$(wc -l < "$(SLACK_REQUEST_LOG)") requests logged"
	$(CARGO) test --test integration slack_request_log 2>&1 | tee "$(CURDIR)/target/slack-check.log"
	@grep -Eq '^test result: ok\. [1-9]' "$(CURDIR)/target/slack-check.log" || \
	  { echo "error: no test named slack_request_log ran" >&2; exit 1; }

# Every request sent to the Teams emulator during the tests, checked against msgraph-sdk's
# request builders (route, HTTP method, query parameters).
graph-check: specs ## check the logged Microsoft Graph requests against msgraph-sdk's request builders
	$(call section,msgraph-sdk check of the Teams request log)
	@test -s "$(TEAMS_REQUEST_LOG)" || { echo "error: $(TEAMS_REQUEST_LOG) is empty: the Teams emulator logged no requests" >&2; exit 1; }
	@echo "$$(wc -l < "$(TEAMS_REQUEST_LOG)") requests logged"
	$(CARGO) test --test integration teams_request_log 2>&1 | tee "$(CURDIR)/target/graph-check.log"
	@grep -Eq '^test result: ok\. [1-9]' "$(CURDIR)/target/graph-check.log" || \
	  { echo "error: no test named teams_request_log ran" >&2; exit 1; }

# --- bench and demo ----------------------------------------------------------------------

BENCH_OUT := $(CURDIR)/target/bench
# Each bench prints a markdown table on stdout; both are kept and printed again together.
# The search bench runs in-process with an in-memory secret store, so it needs no session.
bench: deps ## run the benchmarks (overhead, search, slack, teams) and print their tables
	@mkdir -p "$(BENCH_OUT)"
	$(call section,cargo bench --bench overhead (inside scripts/with-session.sh))
	$(SESSION) $(CARGO) bench --bench overhead | tee "$(BENCH_OUT)/overhead.md"
	$(call section,cargo bench --bench search)
	$(CARGO) bench --bench search | tee "$(BENCH_OUT)/search.md"
	$(call section,cargo bench --bench slack)
	$(CARGO) bench --bench slack | tee "$(BENCH_OUT)/slack.md"
	$(call section,cargo bench --bench teams)
	$(CARGO) bench --bench teams | tee "$(BENCH_OUT)/teams.md"
	$(call section,benchmark tables)
	@cat "$(BENCH_OUT)/overhead.md" "$(BENCH_OUT)/search.md" "$(BENCH_OUT)/slack.md" "$(BENCH_OUT)/teams.md"

# The demo needs no tray, no display and no notification server: a headless build (no GTK
# packages, and the slowest crates skipped), and at run time a Secret Service. When none runs
# here, a private one on a private bus (with-session.sh --no-display): no Xvfb, no dunst.
APT_DEMO := dbus gnome-keyring libsecret-tools
demo: ## build and run `chatkey demo` (private session when no Secret Service here)
	$(call section,demo: cargo build --bins --no-default-features (headless; the first build takes about 2 minutes on 2 cores))
	$(CARGO) build --bins --no-default-features
	$(call section,demo)
	if $(SESSION) --check 2>/dev/null; then \
	  "$(TARGET_DIR)/debug/chatkey" demo; \
	else \
	  scripts/ensure-apt.sh $(APT_DEMO); \
	  $(SESSION) --no-display "$(TARGET_DIR)/debug/chatkey" demo; \
	fi

clean: ## remove build output and the venv
	$(CARGO) clean
	rm -rf "$(VENV)"
