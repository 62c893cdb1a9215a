# localpredict — every entry point.  `make help` lists them.
#
#   make            the two engines: wasm/build/localpredict.wasm (SIMD) and
#                   wasm/build/localpredict-scalar.wasm
#   make native     build/native/localpredict (CLI) and build/native/liblocalpredict.a
#   make demo       installs what is missing, builds, predicts the bundled example
#   make test       installs what is missing, builds, runs every test (C natively
#                   under ASan+UBSan and in WASM, JS in Node, JS in headless Chromium)
#   make fixtures   regenerates tests/fixtures with Debian's python3-xgboost
#   make size       gzipped sizes of the engines
#   make clean
#
# Dependencies are installed by scripts/install-deps.sh (apt packages, npm ci)
# and cJSON is fetched from Debian's source package by scripts/fetch-cjson.sh.

SHELL      := /bin/bash
.DEFAULT_GOAL := all

# Debian's emcc runs acorn-optimizer with the system node; NodeSource's node
# does not search Debian's module folder by itself.
export NODE_PATH := /usr/share/nodejs$(if $(NODE_PATH),:$(NODE_PATH))

CC         ?= cc
EMCC       ?= emcc
NODE       ?= node
CJSON_DIR  := build/third_party/cjson
CJSON      := $(CJSON_DIR)/cJSON.c

ENGINE_SRC := $(addprefix src/, \
	core/error.c core/buf.c core/sha256.c core/lp_math.c core/arena.c \
	io/csv_reader.c io/csv_writer.c io/number.c io/json.c \
	formats/model.c formats/forest_check.c formats/xgboost_json.c formats/manifest.c \
	formats/model_blob.c formats/load.c \
	predict/outputs.c predict/cells.c predict/binding.c predict/job.c predict/table.c \
	kernels/trees_scalar.c kernels/trees_packed.c)
SIMD_SRC   := src/kernels/trees_simd128.c
HEADERS    := $(shell find src -name '*.h')

# -ffp-contract=off: no fused multiply-add, so native and WASM round alike.
# cJSON parses numbers through our fast, exact lp__strtod (src/io/number.h),
# and allocates through lp__cjson_malloc/free (an arena while a model loads:
# src/core/arena.h).
CJSON_FLAGS := -w -Dstrtod=lp__strtod -Dmalloc=lp__cjson_malloc -Dfree=lp__cjson_free

COMMON_FLAGS := -std=c11 -Wall -Wextra -Wshadow -Wno-unused-parameter -ffp-contract=off \
	-Isrc -I$(CJSON_DIR) -DCJSON_NESTING_LIMIT=64
NATIVE_FLAGS := $(COMMON_FLAGS) -O2 -g
SAN_FLAGS    := $(COMMON_FLAGS) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# -fno-slp-vectorize: clang's straight-line vectoriser packs the packed tree
# kernel's independent per-row walks into lanes it must extract and insert one
# by one (wasm has no gather); ~20 % slower on W1 (tests/bench).
WASM_FLAGS   := $(COMMON_FLAGS) -O3 -fno-slp-vectorize -sSTANDALONE_WASM --no-entry -sALLOW_MEMORY_GROWTH=1 \
	-sMAXIMUM_MEMORY=4GB -sABORTING_MALLOC=0 -sINITIAL_MEMORY=4MB -sTOTAL_STACK=1MB

WASM_OUT   := wasm/build/localpredict.wasm wasm/build/localpredict-scalar.wasm

.PHONY: all wasm native demo test test-c test-c-wasm test-js test-browser test-size deps fixtures size \
	clean help

all: wasm
wasm: $(WASM_OUT)

deps:
	@bash scripts/install-deps.sh

$(CJSON):
	@bash scripts/fetch-cjson.sh $(CJSON_DIR)

# cJSON compiled once per toolchain, with its own flags.
build/wasm/cJSON.o: $(CJSON) Makefile
	@mkdir -p $(@D)
	$(EMCC) $(COMMON_FLAGS) $(CJSON_FLAGS) -O3 -c -o $@ $<

build/test/cJSON-san.o: $(CJSON) Makefile
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) $(CJSON_FLAGS) -c -o $@ $<

wasm/build/localpredict.wasm: $(ENGINE_SRC) $(SIMD_SRC) src/wasm_api.c $(HEADERS) build/wasm/cJSON.o
	@mkdir -p $(@D)
	$(EMCC) $(WASM_FLAGS) -msimd128 -DLP_SIMD128 -o $@ $(ENGINE_SRC) $(SIMD_SRC) src/wasm_api.c build/wasm/cJSON.o

wasm/build/localpredict-scalar.wasm: $(ENGINE_SRC) src/wasm_api.c $(HEADERS) build/wasm/cJSON.o
	@mkdir -p $(@D)
	$(EMCC) $(WASM_FLAGS) -o $@ $(ENGINE_SRC) src/wasm_api.c build/wasm/cJSON.o

# ---- native ----
NATIVE_OBJ := $(patsubst src/%.c,build/native/obj/%.o,$(ENGINE_SRC)) build/native/obj/cJSON.o

build/native/obj/%.o: src/%.c $(HEADERS) $(CJSON)
	@mkdir -p $(@D)
	$(CC) $(NATIVE_FLAGS) -c -o $@ $<

build/native/obj/cJSON.o: $(CJSON) Makefile
	@mkdir -p $(@D)
	$(CC) $(NATIVE_FLAGS) $(CJSON_FLAGS) -c -o $@ $<

build/native/liblocalpredict.a: $(NATIVE_OBJ)
	ar rcs $@ $^

build/native/localpredict: src/cli/main.c build/native/liblocalpredict.a
	$(CC) $(NATIVE_FLAGS) -o $@ $< build/native/liblocalpredict.a -lm

native: build/native/localpredict

# ---- tests ----
C_TESTS := $(wildcard tests/c/test_*.c)

# The C tests under ASan + UBSan (the scalar kernels).
build/test/c-tests: $(C_TESTS) tests/c/lp_test.h tests/c/main.c $(ENGINE_SRC) $(HEADERS) build/test/cJSON-san.o
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -Itests/c -o $@ tests/c/main.c $(C_TESTS) $(ENGINE_SRC) build/test/cJSON-san.o -lm

# The same runner built for WASM with SIMD: the only place the SIMD kernels run.
build/test/c-tests-simd.wasm: $(C_TESTS) tests/c/lp_test.h tests/c/main.c $(ENGINE_SRC) $(SIMD_SRC) $(HEADERS) build/wasm/cJSON.o
	@mkdir -p $(@D)
	$(EMCC) $(COMMON_FLAGS) -O2 -msimd128 -DLP_SIMD128 -Itests/c -sSTANDALONE_WASM \
		-sALLOW_MEMORY_GROWTH=1 -sTOTAL_STACK=1MB -o $@ tests/c/main.c $(C_TESTS) \
		$(ENGINE_SRC) $(SIMD_SRC) build/wasm/cJSON.o

test-c: build/test/c-tests
	cd tests && ../build/test/c-tests

test-c-wasm: build/test/c-tests-simd.wasm
	$(NODE) tests/c/run-wasm.mjs build/test/c-tests-simd.wasm tests

test-js: wasm native
	$(NODE) --test tests/js/

# The JS API in Debian's headless Chromium (tests/browser/README.md).  The file is named:
# `node --test tests/browser/` would look for *.test.mjs names and run nothing.
test-browser: wasm
	$(NODE) --test tests/browser/run.mjs

test:
	@bash scripts/install-deps.sh --browser
	@$(MAKE) --no-print-directory test-c test-c-wasm test-js test-browser test-size

# ---- demo ----
demo: deps
	@$(MAKE) --no-print-directory wasm
	@mkdir -p build/demo
	$(NODE) wasm/cli.mjs predict web/examples/iris.json web/examples/iris.csv --keep id -o build/demo/predictions.csv
	@echo "Predictions for web/examples/iris.csv written to build/demo/predictions.csv; the first rows:"
	@head -n 6 build/demo/predictions.csv

fixtures:
	@bash scripts/install-deps.sh --python
	/usr/bin/python3 tests/fixtures/gen/gen_xgboost.py

# ARCHITECTURE.md's budget: a tabular-only engine stays under 100 KB gzipped.
SIZE_BUDGET_GZIP := 102400

size: wasm
	@for f in $(WASM_OUT); do printf '%-40s %8d bytes, %8d gzipped\n' $$f $$(stat -c %s $$f) $$(gzip -9 -c $$f | wc -c); done

test-size: wasm
	@for f in $(WASM_OUT); do n=$$(gzip -9 -c $$f | wc -c); \
	  if [ $$n -gt $(SIZE_BUDGET_GZIP) ]; then echo "$$f: $$n bytes gzipped, over the $(SIZE_BUDGET_GZIP)-byte budget" >&2; exit 1; fi; \
	  echo "$$f: $$n bytes gzipped (budget $(SIZE_BUDGET_GZIP))"; done

clean:
	rm -rf build wasm/build

help:
	@sed -n '2,14p' Makefile

# ---- bench (issue 6; tests/bench/README.md) ----
# The same engine sources at -O3 -march=native: "our own native build", the
# reference the WASM numbers are compared with.  Not part of make test.
BENCH_NATIVE_FLAGS := $(COMMON_FLAGS) -O3 -march=native
BENCH_NATIVE_OBJ := $(patsubst src/%.c,build/bench/native/obj/%.o,$(ENGINE_SRC)) build/bench/native/obj/cJSON.o

build/bench/native/obj/%.o: src/%.c $(HEADERS) $(CJSON)
	@mkdir -p $(@D)
	$(CC) $(BENCH_NATIVE_FLAGS) -c -o $@ $<

build/bench/native/obj/cJSON.o: $(CJSON) Makefile
	@mkdir -p $(@D)
	$(CC) $(BENCH_NATIVE_FLAGS) $(CJSON_FLAGS) -c -o $@ $<

build/bench/native/bench_native: tests/bench/bench_native.c $(BENCH_NATIVE_OBJ)
	$(CC) $(BENCH_NATIVE_FLAGS) -o $@ $< $(BENCH_NATIVE_OBJ) -lm

build/bench/native/localpredict: src/cli/main.c $(BENCH_NATIVE_OBJ)
	$(CC) $(BENCH_NATIVE_FLAGS) -o $@ $< $(BENCH_NATIVE_OBJ) -lm

bench-native: build/bench/native/bench_native build/bench/native/localpredict

.PHONY: bench bench-quick bench-native

# One run of every benchmark side by side with the anchors (tests/bench/README.md).
bench:
	@bash scripts/install-deps.sh --bench
	@$(MAKE) --no-print-directory wasm bench-native
	$(NODE) tests/bench/run.mjs

bench-quick:
	@$(MAKE) --no-print-directory wasm bench-native
	$(NODE) tests/bench/run.mjs --quick
