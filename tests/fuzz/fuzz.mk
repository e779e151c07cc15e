# tests/fuzz/fuzz.mk: the libFuzzer targets, included by the Makefile.
# Built with clang under build/fuzz/: libesports and the fcgi/ files the
# targets need compiled again there with coverage, ASan and UBSan, apart
# from the gcc build. `make fuzz FUZZ_SECONDS=N` builds and runs each
# target N seconds (tests/fuzz/run).

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ         := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 $(WARN) -O1 -g \
                -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
                $(LIB_INC) -Ifcgi -MMD -MP
# the fcgi/ files the targets test: pure, no libfcgi and no main()
FUZZ_FCGI    := fcgi/param.c fcgi/route_match.c fcgi/search.c
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ)/fuzz_%)

.PHONY: fuzz fuzz-build

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-build: $(FUZZ_BINS)

$(FUZZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(FUZZ)/libesports.a: $(LIB_SRC:%.c=$(FUZZ)/obj/%.o)
	$(AR) rcs $@ $^

$(FUZZ)/fuzz_%: $(FUZZ)/obj/tests/fuzz/fuzz_%.o $(FUZZ_FCGI:%.c=$(FUZZ)/obj/%.o) $(FUZZ)/libesports.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -Wl,--as-needed -o $@ $^ $(PKG_LIBS) -lm

-include $(shell find $(FUZZ)/obj -name '*.d' 2>/dev/null)
