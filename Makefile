# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build rxlat: BPF object -> skeleton -> statically linked loader.
# `make V=1` shows the commands; `make test` runs the suite (root).

OUTPUT := .output
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
CC ?= cc
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX := vmlinux/$(ARCH)/vmlinux.h

# ./rxlat links dynamically against Debian's libraries. `make static` also
# builds .output/static/rxlat, linked statically for the busybox guests of
# `make vmtest`; it leaves out the Prometheus exporter, since Debian's
# libmicrohttpd cannot be linked statically (GnuTLS needs p11-kit's .so).
SANITIZE ?=
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
USER_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP -I$(OUTPUT) -Ibpf -Iuser
LIBS := -lbpf -lelf -lz -ljson-c -lm -lpthread
ifneq ($(SANITIZE),)
USER_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS_SAN := -fsanitize=$(SANITIZE)
endif
# `make SANITIZE=address,undefined` builds into .output/san/ (see `asan`).
BINARY ?= rxlat

# clang -target bpf misses the arch include dirs the host compiler knows.
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -MMD -MP \
	-I$(dir $(VMLINUX)) -Ibpf $(CLANG_BPF_SYS_INCLUDES) -Wall -Wno-unused-variable

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(USER_SRCS))
STATIC_OBJS := $(patsubst user/%.c,$(OUTPUT)/static/%.o,$(USER_SRCS))
BPF_SRCS := bpf/rxlat.bpf.c
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

.PHONY: all clean test check deps vmtest bench demo tools fuzz static asan install FORCE
all: $(BINARY)

$(OUTPUT):
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# Every loader object may include the skeleton and the revision stamp.
$(USER_OBJS) $(STATIC_OBJS): $(SKELS) $(OUTPUT)/gitrev.h

# Rewritten only when the revision changes, so it does not force rebuilds.
GIT_REV := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(OUTPUT)/gitrev.h: FORCE | $(OUTPUT)
	$(Q)echo '#define RXLAT_GIT_REV "$(GIT_REV)"' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

$(OUTPUT)/%.o: user/%.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(BINARY): $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDFLAGS_SAN) $^ $(LIBS) -lmicrohttpd -o $@

$(OUTPUT)/static/%.o: user/%.c | $(OUTPUT)
	$(Q)mkdir -p $(OUTPUT)/static
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -DRXLAT_NO_PROMETHEUS -c $< -o $@

$(OUTPUT)/static/rxlat: $(STATIC_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(USER_CFLAGS) -static $^ $(LIBS) -o $@

static: $(OUTPUT)/static/rxlat

# The user side with AddressSanitizer and UBSan; the suite runs it in
# `make check` (RXLAT=.output/san/rxlat).
asan:
	$(Q)$(MAKE) OUTPUT=.output/san BINARY=.output/san/rxlat SANITIZE=address,undefined \
		.output/san/rxlat

PREFIX ?= /usr/local
DESTDIR ?=
install: $(BINARY)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(BINARY) $(DESTDIR)$(PREFIX)/sbin/rxlat
	$(Q)install -D -m 0644 tools/packaging/rxlat.8 $(DESTDIR)$(PREFIX)/share/man/man8/rxlat.8
	$(Q)install -D -m 0644 tools/packaging/rxlat.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/rxlat

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf .output rxlat
	$(Q)$(MAKE) -C tests clean

deps:
	$(Q)tools/install-deps.sh

# Helper and traffic binaries used by the tests, the demo and the benchmarks.
tools:
	$(Q)$(MAKE) -C tests helpers traffic

# The README's first command: set up, then trace a ping-pong between two
# namespaces created for the purpose.
demo: deps
	$(Q)$(MAKE) rxlat tools
	$(Q)tools/demo.sh

test: rxlat
	$(Q)$(MAKE) -C tests
	$(Q)tests/run.sh $(T)

# The kernel matrix: Debian's 5.10, 6.1, 6.12 and 7.2 under qemu (TCG).
vmtest: static tools
	$(Q)tests/vm/install-deps.sh
	$(Q)$(MAKE) -C tests
	$(Q)tests/vm/vmtest.sh

# Benchmarks (not tests): numbers go to bench/RESULTS.md.
bench: rxlat tools
	$(Q)tools/bench/run.sh

# The README's test command: what a fresh machine needs, the suite, the
# suite again with the sanitized loader, a bounded fuzzing run, and the
# kernel matrix under qemu (VMTEST=0 skips it).
VMTEST ?= 1
check: deps
	$(Q)$(MAKE) rxlat static tools
	$(Q)$(MAKE) test
	$(Q)$(MAKE) asan
	@echo "== the suite with the ASan+UBSan loader"
	$(Q)RXLAT=$(abspath .output/san/rxlat) LOGDIR=/tmp/rxlat-tests-asan tests/run.sh
	$(Q)$(MAKE) fuzz FUZZ_SECONDS=20
ifeq ($(VMTEST),1)
	$(Q)$(MAKE) vmtest
endif

# Coverage-guided fuzzing of the argument parser and the formatters, with
# ASan and UBSan, for FUZZ_SECONDS per target. `make fuzz FUZZ_SECONDS=600`
# for a long run; the corpus grows in .output/fuzz.
FUZZ_SECONDS ?= 30
FUZZ_DIR := $(OUTPUT)/fuzz
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Ibpf -Iuser -I$(OUTPUT) -Itests/helpers
$(FUZZ_DIR)/fuzz_args: tests/fuzz/fuzz_args.c user/opts.c $(OUTPUT)/gitrev.h | $(OUTPUT)
	$(Q)mkdir -p $(FUZZ_DIR)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) tests/fuzz/fuzz_args.c user/opts.c -lbpf -o $@
FUZZ_REPORT_SRCS := user/report.c user/hist.c user/reasons.c user/plan.c user/opts.c \
	user/kbtf.c user/verdict.c user/groups.c
$(FUZZ_DIR)/fuzz_report: tests/fuzz/fuzz_report.c $(FUZZ_REPORT_SRCS) tests/helpers/jsonq.c \
		$(OUTPUT)/gitrev.h | $(OUTPUT)
	$(Q)mkdir -p $(FUZZ_DIR)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) tests/fuzz/fuzz_report.c $(FUZZ_REPORT_SRCS) \
		-lbpf -lelf -lz -lm -o $@
fuzz: $(FUZZ_DIR)/fuzz_args $(FUZZ_DIR)/fuzz_report
	$(Q)for t in fuzz_args fuzz_report; do \
		mkdir -p $(FUZZ_DIR)/corpus-$$t; \
		$(FUZZ_DIR)/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix=$(FUZZ_DIR)/ \
			-print_final_stats=1 $(FUZZ_DIR)/corpus-$$t tests/fuzz/seeds-$$t \
			> $(FUZZ_DIR)/$$t.log 2>&1 || { tail -n 40 $(FUZZ_DIR)/$$t.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|stat::peak_rss' $(FUZZ_DIR)/$$t.log | \
			sed "s/^/  $$t: /"; \
	done

-include $(USER_OBJS:.o=.d) $(STATIC_OBJS:.o=.d) $(BPF_OBJS:.o=.d)

.DELETE_ON_ERROR:
.SECONDARY:
