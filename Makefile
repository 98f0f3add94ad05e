# C build of the core and the embedded engine, for the C test suite (`make ctest`), the same
# suite under valgrind (`make valgrind`), the threaded suite under ThreadSanitizer (`make tsan`)
# and the million-filter measurement (`make simbench`).  The Python extension is built by
# setup.py, not here.

CC ?= gcc
BUILD := build/ctest
WARN := -std=c11 -Wall -Wextra -Werror -Wpedantic
INCLUDES := -Iinclude
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
THREADS := -pthread

CORE_SRC := src/core/arena.c src/core/bulk.c src/core/enum.c src/core/strings.c \
            src/core/errors.c src/core/ids.c src/core/digest.c
SIM_SRC := $(filter-out src/sim/fwpuclnt_exports.c,$(wildcard src/sim/*.c))
LIB_SRC := $(CORE_SRC) $(SIM_SRC)
LIB_HDR := $(wildcard include/wfp/*.h src/sim/*.h)

TEST_COMMON := tests/c/test_sim_common.c
TEST_SRC := $(filter-out $(TEST_COMMON),$(wildcard tests/c/test_sim*.c))
TEST_NAMES := $(patsubst tests/c/%.c,%,$(TEST_SRC))
SAN_BINS := $(addprefix $(BUILD)/san/,$(TEST_NAMES))
PLAIN_BINS := $(addprefix $(BUILD)/plain/,$(TEST_NAMES))

.PHONY: ctest valgrind tsan simbench clean-ctest

ctest: $(SAN_BINS)
	@failed=0; for t in $(SAN_BINS); do \
	    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t || failed=1; \
	done; \
	if [ $$failed = 0 ]; then echo "ctest: all suites passed"; else echo "ctest: FAILED"; exit 1; fi

valgrind: $(PLAIN_BINS)
	@failed=0; for t in $(PLAIN_BINS); do \
	    WFP_SIM_TEST_QUICK=1 valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	        --errors-for-leak-kinds=definite,indirect --error-exitcode=99 $$t || failed=1; \
	done; \
	if [ $$failed = 0 ]; then echo "valgrind: all suites passed"; else echo "valgrind: FAILED"; exit 1; fi

tsan: $(BUILD)/tsan/test_sim_txn
	$(BUILD)/tsan/test_sim_txn

# make simbench N=1000000
N ?= 1000000
simbench: $(BUILD)/bench/test_sim_perf
	$(BUILD)/bench/test_sim_perf $(N)

$(BUILD)/san/%: tests/c/%.c $(TEST_COMMON) tests/c/test_sim.h $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(INCLUDES) -Isrc/sim -g -O1 $(SAN) $(THREADS) -o $@ $< $(TEST_COMMON) $(LIB_SRC)

$(BUILD)/plain/%: tests/c/%.c $(TEST_COMMON) tests/c/test_sim.h $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(INCLUDES) -Isrc/sim -g -O1 $(THREADS) -o $@ $< $(TEST_COMMON) $(LIB_SRC)

$(BUILD)/tsan/%: tests/c/%.c $(TEST_COMMON) tests/c/test_sim.h $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(INCLUDES) -Isrc/sim -g -O1 -fsanitize=thread $(THREADS) -o $@ $< $(TEST_COMMON) $(LIB_SRC)

$(BUILD)/bench/%: tests/c/%.c $(TEST_COMMON) tests/c/test_sim.h $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(INCLUDES) -Isrc/sim -O2 -DNDEBUG $(THREADS) -o $@ $< $(TEST_COMMON) $(LIB_SRC)

clean-ctest:
	rm -rf $(BUILD)
