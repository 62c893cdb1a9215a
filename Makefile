# localpredict — every entry point.  `make help` lists them.
#
#   make            the two engines: wasm/build/localpredict.wasm (SIMD) and
#                   wasm/build/localpredict-scalar.wasm, and the single-file page
#                   web/build/localpredict.html (its SHA-256 is printed)
#   make serve      serves the repository on localhost (PORT=8000) and prints the page's URL
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
	core/error.c core/buf.c core/arena.c core/sha256.c core/lp_math.c \
	io/csv_reader.c io/csv_writer.c io/number.c io/json.c io/protobuf.c \
	formats/model.c formats/forest_check.c formats/xgboost_json.c formats/manifest.c \
	formats/model_blob.c formats/load.c formats/onnx_decode.c formats/onnx_trees.c formats/onnx_load.c \
	ops/graph_build.c ops/ops_dense.c ops/ops_elementwise.c ops/ops_shape.c ops/ops_ml.c \
	predict/outputs.c predict/cells.c predict/binding.c predict/job.c predict/table.c \
	kernels/trees_scalar.c kernels/gemm_scalar.c)
SIMD_SRC   := src/kernels/trees_simd128.c src/kernels/gemm_simd128.c
HEADERS    := $(shell find src -name '*.h')

# The version: package.json's "version" is the single source.  The engine gets it as
# LP_VERSION_STRING (lp_version(), `localpredict --version`, "engine" in `info`);
# wasm/localpredict.mjs holds a copy kept equal by scripts/sync-version.mjs (npm version
# runs it) and checked by make test-package.  A stamp file named after the version is a
# prerequisite of every compiled file, so changing the version rebuilds the engines.
VERSION := $(shell sed -n 's/^  "version": "\([^"]*\)",\{0,1\}$$/\1/p' package.json)
$(if $(filter 1,$(words $(VERSION))),,$(error cannot read "version" from package.json))
VERSION_STAMP := build/version/$(VERSION)
HEADERS += $(VERSION_STAMP)

# -ffp-contract=off: no fused multiply-add, so native and WASM round alike.
# cJSON parses numbers through our fast, exact lp__strtod (src/io/number.h).
CJSON_FLAGS := -w -Dstrtod=lp__strtod

COMMON_FLAGS := -std=c11 -Wall -Wextra -Wshadow -Wno-unused-parameter -ffp-contract=off \
	-Isrc -I$(CJSON_DIR) -DCJSON_NESTING_LIMIT=64
COMMON_FLAGS += -DLP_VERSION_STRING='"$(VERSION)"'
NATIVE_FLAGS := $(COMMON_FLAGS) -O2 -g
SAN_FLAGS    := $(COMMON_FLAGS) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
WASM_FLAGS   := $(COMMON_FLAGS) -O3 -sSTANDALONE_WASM --no-entry -sALLOW_MEMORY_GROWTH=1 \
	-sMAXIMUM_MEMORY=4GB -sABORTING_MALLOC=0 -sINITIAL_MEMORY=4MB -sTOTAL_STACK=1MB

WASM_OUT   := wasm/build/localpredict.wasm wasm/build/localpredict-scalar.wasm

.PHONY: all wasm native demo test test-c test-c-wasm test-js test-browser test-size deps fixtures size \
	clean help page serve

all: wasm page
wasm: $(WASM_OUT)

deps:
	@bash scripts/install-deps.sh

$(VERSION_STAMP):
	@rm -rf $(@D) && mkdir -p $(@D) && touch $@

$(CJSON):
	@bash scripts/fetch-cjson.sh $(CJSON_DIR)

# cJSON compiled once per toolchain, with its own flags.
build/wasm/cJSON.o: $(CJSON)
	@mkdir -p $(@D)
	$(EMCC) $(COMMON_FLAGS) $(CJSON_FLAGS) -O3 -c -o $@ $<

build/test/cJSON-san.o: $(CJSON)
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

build/native/obj/cJSON.o: $(CJSON)
	@mkdir -p $(@D)
	$(CC) $(NATIVE_FLAGS) $(CJSON_FLAGS) -c -o $@ $<

build/native/liblocalpredict.a: $(NATIVE_OBJ)
	ar rcs $@ $^

build/native/localpredict: src/cli/main.c src/cli/parallel.c src/cli/parallel.h build/native/liblocalpredict.a
	$(CC) $(NATIVE_FLAGS) -pthread -o $@ src/cli/main.c src/cli/parallel.c build/native/liblocalpredict.a -lm

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
test-browser: wasm page
	$(NODE) --test --test-concurrency=1 tests/browser/run.mjs tests/browser/web-page.mjs

# The npm package as a user gets it (tests/package/README.md): `npm pack`, the tarball
# installed offline into a fresh project and used from Node, npx, TypeScript, and esbuild
# and Vite bundles in headless Chromium; one version everywhere.
.PHONY: test-package
test-package: wasm native
	$(NODE) --test tests/package/

test:
	@bash scripts/install-deps.sh --browser
	@$(MAKE) --no-print-directory test-c test-c-wasm test-js test-browser test-size test-package

# ---- demo ----
demo: deps
	@$(MAKE) --no-print-directory wasm
	@mkdir -p build/demo
	$(NODE) wasm/cli.mjs predict web/examples/iris.json web/examples/iris.csv --keep id -o build/demo/predictions.csv
	@echo "Predictions for web/examples/iris.csv written to build/demo/predictions.csv; the first rows:"
	@head -n 6 build/demo/predictions.csv

# ONNX expected outputs come from onnxruntime-node, installed beside the
# generators (tests/fixtures/gen/package.json), never in the package itself.
fixtures:
	@bash scripts/install-deps.sh --python
	/usr/bin/python3 tests/fixtures/gen/gen_xgboost.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_decode.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx.py
	cd tests/fixtures/gen && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
	$(NODE) tests/fixtures/gen/expect_onnx.mjs

# ARCHITECTURE.md's budget: a tabular-only engine stays under 100 KB gzipped.
SIZE_BUDGET_GZIP := 102400

size: wasm
	@for f in $(WASM_OUT); do printf '%-40s %8d bytes, %8d gzipped\n' $$f $$(stat -c %s $$f) $$(gzip -9 -c $$f | wc -c); done

test-size: wasm
	@for f in $(WASM_OUT); do n=$$(gzip -9 -c $$f | wc -c); \
	  if [ $$n -gt $(SIZE_BUDGET_GZIP) ]; then echo "$$f: $$n bytes gzipped, over the $(SIZE_BUDGET_GZIP)-byte budget" >&2; exit 1; fi; \
	  echo "$$f: $$n bytes gzipped (budget $(SIZE_BUDGET_GZIP))"; done

# ---- the web page (web/) ----
# The page's generated modules (engine bytes and the example, inlined: the page never
# fetches), then the single-file page.  scripts/page-bundle.mjs parses with Debian's
# node-acorn (NODE_PATH above).
PORT       ?= 8000
PAGE_GEN   := web/build/engine-bytes.mjs web/build/examples.mjs
PAGE_SRC   := web/index.html web/style.css web/worker.mjs $(wildcard web/app/*.mjs) \
	$(filter-out wasm/cli.mjs wasm/node.mjs wasm/load-node.mjs,$(wildcard wasm/*.mjs))

$(PAGE_GEN) &: $(WASM_OUT) $(wildcard web/examples/*) scripts/page-modules.mjs
	$(NODE) scripts/page-modules.mjs

web/build/localpredict.html: $(PAGE_GEN) $(PAGE_SRC) scripts/page-bundle.mjs
	$(NODE) scripts/page-bundle.mjs

page: web/build/localpredict.html
	@echo "web/build/localpredict.html sha256 $$(sha256sum web/build/localpredict.html | cut -d' ' -f1)"

serve: page
	$(NODE) scripts/serve.mjs --port $(PORT)

clean:
	rm -rf build wasm/build web/build

help:
	@sed -n '2,17p' Makefile

# ---- worker pool ----
# The pool's worker as one self-contained module, for pages that start workers from a
# blob: URL and fetch nothing (setEngine({ worker }); README "All cores").
POOL_WORKER := wasm/build/localpredict-worker.mjs
wasm: $(POOL_WORKER)
$(POOL_WORKER): wasm/pool-worker.mjs wasm/csv-job.mjs wasm/csv-split.mjs wasm/engine.mjs wasm/errors.mjs wasm/detect.mjs \
		scripts/bundle-worker.mjs
	@mkdir -p $(@D)
	$(NODE) scripts/bundle-worker.mjs wasm/pool-worker.mjs $@
