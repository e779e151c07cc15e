# esports-matches: build, test, run. `make help` lists the targets.

MODE     ?= release
PYTHON   ?= /usr/bin/python3
# the tests' Python: Debian's, plus tests/requirements.txt in a venv that sees
# the system packages
VENV     := build/venv
CC       ?= cc

ifeq ($(MODE),asan)
BUILD    ?= build/asan
MODEFLAGS = -O1 -g3 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
MODELDFLAGS = -fsanitize=address,undefined
else
BUILD    ?= build
MODEFLAGS = -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
MODELDFLAGS =
endif

PKGS     := json-c libmariadb librabbitmq fcgi libcurl libcrypto
# The libraries' flags are asked of pkg-config when a recipe first needs
# them, not when make reads this file: `make run`, `make test` and `make
# bench` install the -dev packages (tools/deps) before they build. A library
# pkg-config cannot find stops the build naming it, before any compiler runs.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(call pkg_flags,--cflags,| sed 's/-I/-isystem /g'))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(call pkg_flags,--libs))$(PKG_LIBS)
pkg_flags  = $(if $(shell pkg-config --exists $(PKGS) && echo ok),$(shell pkg-config $(1) $(PKGS) $(2)),$(error \
    pkg-config cannot find $(strip $(shell for p in $(PKGS); do pkg-config --exists $$p || echo $$p; done)):\
    install the -dev packages with tools/deps (as root; make run and make test run it first)))

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wvla -fno-common
CFLAGS   += -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 $(WARN) $(MODEFLAGS) \
            $(LIB_INC) $(PKG_CFLAGS) -MMD -MP
LDFLAGS  += -Wl,--as-needed $(MODELDFLAGS)
LDLIBS   += $(PKG_LIBS) -lm

# libesports/ in floors, each using only those below it: core (memory,
# buffers, config, log, clock, text), model (messages, matches), db (the
# SQL), render (JSON, mustache), search (the engine's client, its documents)
LIB_DIRS := core model db render search
LIB_INC  := $(LIB_DIRS:%=-Ilibesports/%)
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard libesports/$(d)/*.c))
LIB_HDR  := $(foreach d,$(LIB_DIRS),$(wildcard libesports/$(d)/*.h))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libesports.a

FCGI_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard fcgi/*.c))
CONS_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard consumer/*.c))
TOOLS    := $(patsubst tools/%.c,$(BUILD)/%,$(wildcard tools/*.c))
BINS     := $(BUILD)/esports-fcgi $(BUILD)/esports-consumer $(TOOLS)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# the shared test tree (the conformance suites) next to the repository
SHARED   ?= ../shared
# the sample messages, kept in the repository (the unit tests read them too)
FIXTURES ?= fixtures/challenge-messages
SPEC_BIN := $(BUILD)/tests/mustache_spec

# keep the objects of tools and tests between runs
.SECONDARY:

.PHONY: all help deps test test-unit test-integration check-asan run stop demo fmt lint bench clean

all: $(BINS)

help:
	@echo "make            build every binary into $(BUILD)/ (release)"
	@echo "make run        install packages, start the local stack, print where to browse"
	@echo "make stop       stop everything 'make run' started"
	@echo "make demo N=20000  publish N generated messages into the running stack"
	@echo "make test       unit + integration tests against real services"
	@echo "make check-asan the same tests under AddressSanitizer + UBSan (build/asan/)"
	@echo "make test-faults faults injected into a private stack while messages flow (FAULTS_SEED=S repeats a run)"
	@echo "make soak       the same faults, more and longer (FAULTS_* settings, see README)"
	@echo "make fuzz       libFuzzer targets (clang, build/fuzz/), FUZZ_SECONDS=60 each"
	@echo "make fmt|lint   clang-format; clang-format check + cppcheck + clang-tidy"
	@echo "make bench      performance figures (see README)"
	@echo "make clean      remove build/"

# Makefile: a change of flags or include paths (a header moved to another
# floor leaves .d files naming paths that no longer exist) rebuilds all
$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/esports-fcgi: $(FCGI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/esports-consumer: $(CONS_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%: $(BUILD)/obj/tools/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# the mustache spec runner (tests/conformance), run by test-unit
$(SPEC_BIN): $(BUILD)/obj/tests/conformance/mustache_spec.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@tools/deps

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@$(MAKE) --no-print-directory test-unit test-integration

test-unit: $(UNIT_BIN) $(SPEC_BIN)
	@ESPORTS_FIXTURES=$(FIXTURES) tools/run-unit $(UNIT_BIN)
	@$(SPEC_BIN) $(SHARED)/conformance/mustache-spec

$(VENV)/ready: tests/requirements.txt
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
	touch $@

# INTEGRATION_ARGS: more pytest arguments (check-asan leaves out what runs no
# other C path: the browser, the contract fuzzer, the 5,000-message rebuild)
test-integration: all $(VENV)/ready
	ESPORTS_BUILD=$(abspath $(BUILD)) $(VENV)/bin/python -m pytest -p no:cacheprovider --durations=15 tests/integration $(INTEGRATION_ARGS)

ASAN_INTEGRATION_ARGS := --ignore=tests/integration/test_browser.py \
    --ignore=tests/integration/test_contract.py -k "not 5000"
check-asan: deps
	@$(MAKE) --no-print-directory MODE=asan INTEGRATION_ARGS='$(ASAN_INTEGRATION_ARGS)' all test-unit test-integration

# Faults injected into a private stack (var/faults/, its own ports) while
# messages are consumed: kill -9, broker and database restarts, the search
# engine stopped, a standby consumer, SIGSTOP, hostile messages; each case
# compares the final data with an uninterrupted run (tests/faults/).
.PHONY: test-faults soak
test-faults: deps
	@$(MAKE) --no-print-directory all $(VENV)/ready
	ESPORTS_BUILD=$(abspath $(BUILD)) $(VENV)/bin/python -m pytest -p no:cacheprovider tests/faults

soak: deps
	@$(MAKE) --no-print-directory all $(VENV)/ready
	FAULTS_PROFILE=soak ESPORTS_BUILD=$(abspath $(BUILD)) $(VENV)/bin/python -m pytest -p no:cacheprovider tests/faults

# deps first, then the build in a new make that reads the packages' flags
run: deps
	@$(MAKE) --no-print-directory all
	@tools/stack up
	@tools/stack seed
	@tools/stack urls

stop:
	@tools/stack down

# Generated matches (sources demo1..demo3, never the samples' own) for a
# realistic browse; SEED picks another set.
N    ?= 20000
demo:
	@env=$${STACK_DIR:-var}/stack.env; \
	[ -f "$$env" ] || { echo "make demo: no stack is running ($$env is missing): make run first" >&2; exit 1; }; \
	tools/send_msg --env-file "$$env" --generate $(N) --seed $${SEED:-$$(date +%s)} --source-prefix demo

fmt:
	clang-format -i $(LIB_SRC) $(LIB_HDR) fcgi/*.[ch] consumer/*.[ch] tools/*.c tests/unit/*.c tests/conformance/*.c tests/fuzz/*.[ch]

NPROC := $(shell nproc 2>/dev/null || echo 2)
lint:
	clang-format --dry-run --Werror $(LIB_SRC) $(LIB_HDR) fcgi/*.[ch] consumer/*.[ch] tools/*.c tests/unit/*.c tests/conformance/*.c tests/fuzz/*.[ch]
	cppcheck --quiet --error-exitcode=1 -j $(NPROC) --enable=warning,performance,portability \
	    --suppress=missingIncludeSystem --inline-suppr $(LIB_INC) libesports fcgi consumer tools
	printf '%s\n' $(LIB_SRC) fcgi/*.c consumer/*.c tools/*.c | xargs -P $(NPROC) -n 6 sh -c \
	    'clang-tidy --quiet "$$@" -- -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 $(LIB_INC) $(PKG_CFLAGS)' clang-tidy

# Every figure of the README (bench/run.py): consumer, search mirror, HTTP
# through nginx against the static ceiling, memory, 200,000-match scale.
bench: deps
	@$(MAKE) --no-print-directory all
	$(PYTHON) bench/run.py

clean:
	rm -rf build

# make fuzz: the libFuzzer targets of tests/fuzz/
include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
