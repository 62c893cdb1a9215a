# localpredict — every entry point.  `make help` lists them.
#
#   make            the engines: wasm/build/localpredict.wasm (SIMD),
#                   wasm/build/localpredict-relaxed.wasm (SIMD + relaxed SIMD) and
#                   wasm/build/localpredict-scalar.wasm, and the single-file page
#                   web/build/localpredict.html (its SHA-256 is printed)
#   make serve      serves the repository on localhost (PORT=8000) and prints the page's URL
#   make native     build/native/localpredict (CLI) and build/native/liblocalpredict.a
#   make demo       installs what is missing, builds, predicts the bundled example
#   make test       installs what is missing, builds, runs every test (C natively
#                   under ASan+UBSan and in WASM, JS in Node, JS in headless Chromium)
#   make fixtures   regenerates tests/fixtures (xgboost, scikit-learn, torch, onnxruntime-node)
#   make bench      our engines side by side with ../shared/bench's anchors (tests/bench/README.md)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (tests/fuzz/README.md)
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
	core/error.c core/buf.c core/arena.c core/sha256.c core/lp_math.c core/utf8.c \
	io/csv_reader.c io/csv_writer.c io/number.c io/decode.c io/dialect.c io/json.c io/ubjson.c io/protobuf.c io/sniff.c \
	formats/model.c formats/forest_check.c formats/xgboost_json.c formats/manifest.c \
	formats/lightgbm_txt.c formats/feature_prep.c formats/feature_types.c formats/xgboost_cats.c \
	formats/model_blob.c formats/load.c formats/ensemble.c formats/onnx_decode.c formats/onnx_trees.c formats/onnx_load.c \
	formats/onnx_scores.c \
	ops/graph_build.c ops/dtype.c ops/ops_dense.c ops/ops_elementwise.c ops/ops_shape.c ops/ops_reduce.c ops/ops_ml.c \
	predict/outputs.c predict/cells.c predict/binding.c predict/job.c predict/check_report.c predict/table.c \
	kernels/trees_scalar.c kernels/trees_packed.c kernels/gemm_scalar.c)
SIMD_SRC   := src/kernels/trees_simd128.c src/kernels/gemm_simd128.c
# The native dense kernel (issue 6); empty in the WASM builds.
ENGINE_SRC += src/kernels/gemm_vec.c
# Symbolic ONNX input dimensions bound at load (issue 4/5: dynamic sequence length).
ENGINE_SRC += src/formats/onnx_dims.c
# torch.onnx's Loop for nn.EmbeddingBag, recognised and run fused (issue 5).
ENGINE_SRC += src/ops/ops_embedding_bag.c
# The XGBoost JSON loader's fast reader (issue 6, model load).
ENGINE_SRC += src/formats/xgboost_json_fast.c
# Float activations for the dense graph (softmax rows, erf): reference and wasm SIMD.
ENGINE_SRC += src/kernels/act_scalar.c
SIMD_SRC   += src/kernels/act_simd128.c
# Tree-ensemble regressors as operators of a dense graph (MIN/MAX, scores later nodes transform).
ENGINE_SRC += src/formats/onnx_tree_op.c
# ONNX Cast to and from strings; map inputs (DictVectorizer, CastMap) bound to CSV columns (issue 4).
ENGINE_SRC += src/ops/cast_string.c src/ops/ops_maps.c
# Text preprocessing (src/text/: normalisation, Keras Tokenizer, WordPiece);
# the tabular size build leaves it out (-DLP_NO_TEXT).
TEXT_SRC   := $(sort $(wildcard src/text/*.c)) src/formats/text_model.c src/predict/text_batch.c src/ops/ops_text.c
ENGINE_SRC += $(TEXT_SRC)
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
# cJSON parses numbers through our fast, exact lp__strtod (src/io/number.h),
# and allocates through lp__cjson_malloc/free (an arena while a model loads:
# src/core/arena.h).
CJSON_FLAGS := -w -Dstrtod=lp__strtod -Dmalloc=lp__cjson_malloc -Dfree=lp__cjson_free

COMMON_FLAGS := -std=c11 -Wall -Wextra -Wshadow -Wno-unused-parameter -ffp-contract=off \
	-Isrc -I$(CJSON_DIR) -DCJSON_NESTING_LIMIT=64
COMMON_FLAGS += -DLP_VERSION_STRING='"$(VERSION)"'
NATIVE_FLAGS := $(COMMON_FLAGS) -O2 -g
SAN_FLAGS    := $(COMMON_FLAGS) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# -fno-slp-vectorize: clang's straight-line vectoriser packs the packed tree
# kernel's independent per-row walks into lanes it must extract and insert one
# by one (wasm has no gather); ~20 % slower on W1 (tests/bench).
WASM_FLAGS   := $(COMMON_FLAGS) -O3 -fno-slp-vectorize -sSTANDALONE_WASM --no-entry -sALLOW_MEMORY_GROWTH=1 \
	-sMAXIMUM_MEMORY=4GB -sABORTING_MALLOC=0 -sINITIAL_MEMORY=4MB -sTOTAL_STACK=1MB

WASM_OUT   := wasm/build/localpredict.wasm wasm/build/localpredict-scalar.wasm wasm/build/localpredict-relaxed.wasm

# Relaxed SIMD (the packed tree kernel's selects and lookups as
# i8x16.relaxed_laneselect and i8x16.relaxed_swizzle: src/kernels/trees_packed.c).
# emcc 3.1.6 (clang 14, binaryen 108) writes the proposal's prototype opcodes;
# scripts/relaxed-opcodes.mjs decodes the code section and gives them their final numbers.  Node 20 (V8 11.3) runs them only
# with --experimental-wasm-relaxed-simd (on by default from V8 11.4, Chrome 114,
# Node 22): NODE_RELAXED is that flag where this node takes it.
RELAXED_FIX  := scripts/relaxed-opcodes.mjs
# It reads the module's layout with the page's patch code (web/app/engine-patch.mjs).
RELAXED_DEPS := $(RELAXED_FIX) web/app/engine-patch.mjs
NODE_RELAXED := $(NODE) $(shell $(NODE) --experimental-wasm-relaxed-simd -e 0 >/dev/null 2>&1 && echo --experimental-wasm-relaxed-simd)

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
build/wasm/cJSON.o: $(CJSON) Makefile
	@mkdir -p $(@D)
	$(EMCC) $(COMMON_FLAGS) $(CJSON_FLAGS) -O3 -c -o $@ $<

build/test/cJSON-san.o: $(CJSON) Makefile
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) $(CJSON_FLAGS) -c -o $@ $<

# Code no row passes through: the loaders, the manifest, CSV dialect sniffing,
# error messages.  The engines compile it for size (-Os), into objects per
# variant: ~12 KB less gzipped per engine, and models load as fast as at -O3
# (tests/bench/README.md, "Cold code for size").  Everything a row or a batch
# runs stays -O3, and so do the readers that walk every byte of a model file
# (the fast XGBoost JSON reader, cJSON, UBJSON, protobuf): at -Os W1 loaded
# from UBJSON 20 % slower, from ONNX 5 %.
COLD_SRC := $(addprefix src/, core/error.c io/json.c io/sniff.c io/dialect.c \
	formats/model.c formats/forest_check.c formats/xgboost_json.c formats/manifest.c formats/lightgbm_txt.c \
	formats/xgboost_cats.c formats/model_blob.c formats/load.c formats/onnx_decode.c formats/onnx_load.c \
	formats/onnx_dims.c formats/onnx_trees.c formats/onnx_scores.c formats/text_model.c ops/graph_build.c \
	predict/binding.c)
HOT_SRC  := $(filter-out $(COLD_SRC),$(ENGINE_SRC))
VARIANT_FLAGS_simd    := -msimd128 -DLP_SIMD128
VARIANT_FLAGS_scalar  :=
VARIANT_FLAGS_relaxed := -msimd128 -mrelaxed-simd -DLP_SIMD128
VARIANT_FLAGS_tabular := $(VARIANT_FLAGS_simd) -DLP_NO_ONNX -DLP_NO_TEXT
# What a variant leaves out (set with the tabular build below).
OMIT_tabular           = $(ONNX_ONLY_SRC) $(TEXT_SRC)

define cold_objects
COLD_OBJ_$(1) = $$(patsubst src/%.c,build/wasm/cold-$(1)/%.o,$$(filter-out $$(OMIT_$(1)),$$(COLD_SRC)))
build/wasm/cold-$(1)/%.o: src/%.c $$(HEADERS) $$(CJSON) Makefile
	@mkdir -p $$(@D)
	$$(EMCC) $$(COMMON_FLAGS) $$(VARIANT_FLAGS_$(1)) -Os -c -o $$@ $$<
endef
$(foreach v,simd scalar relaxed tabular,$(eval $(call cold_objects,$(v))))

wasm/build/localpredict.wasm: $(HOT_SRC) $(SIMD_SRC) src/wasm_api.c $(HEADERS) $(COLD_OBJ_simd) build/wasm/cJSON.o
	@mkdir -p $(@D)
	$(EMCC) $(WASM_FLAGS) $(VARIANT_FLAGS_simd) -o $@ $(HOT_SRC) $(SIMD_SRC) src/wasm_api.c \
		$(COLD_OBJ_simd) build/wasm/cJSON.o

wasm/build/localpredict-scalar.wasm: $(HOT_SRC) src/wasm_api.c $(HEADERS) $(COLD_OBJ_scalar) build/wasm/cJSON.o
	@mkdir -p $(@D)
	$(EMCC) $(WASM_FLAGS) $(VARIANT_FLAGS_scalar) -o $@ $(HOT_SRC) src/wasm_api.c \
		$(COLD_OBJ_scalar) build/wasm/cJSON.o

wasm/build/localpredict-relaxed.wasm: $(HOT_SRC) $(SIMD_SRC) src/wasm_api.c $(HEADERS) $(COLD_OBJ_relaxed) \
		build/wasm/cJSON.o $(RELAXED_DEPS)
	@mkdir -p $(@D) build/wasm
	$(EMCC) $(WASM_FLAGS) $(VARIANT_FLAGS_relaxed) -o build/wasm/localpredict-relaxed-prototype.wasm \
		$(HOT_SRC) $(SIMD_SRC) src/wasm_api.c $(COLD_OBJ_relaxed) build/wasm/cJSON.o
	$(NODE) $(RELAXED_FIX) build/wasm/localpredict-relaxed-prototype.wasm $@

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
	$(EMCC) $(COMMON_FLAGS) -O2 $(VARIANT_FLAGS_simd) -Itests/c -sSTANDALONE_WASM \
		-sALLOW_MEMORY_GROWTH=1 -sTOTAL_STACK=1MB -o $@ tests/c/main.c $(C_TESTS) \
		$(ENGINE_SRC) $(SIMD_SRC) build/wasm/cJSON.o

# ... and with relaxed SIMD (the relaxed laneselect and swizzle in the packed tree kernel).
build/test/c-tests-relaxed.wasm: $(C_TESTS) tests/c/lp_test.h tests/c/main.c $(ENGINE_SRC) $(SIMD_SRC) $(HEADERS) build/wasm/cJSON.o $(RELAXED_DEPS)
	@mkdir -p $(@D)
	$(EMCC) $(COMMON_FLAGS) -O2 $(VARIANT_FLAGS_relaxed) -Itests/c -sSTANDALONE_WASM \
		-sALLOW_MEMORY_GROWTH=1 -sTOTAL_STACK=1MB -o build/test/c-tests-relaxed-prototype.wasm tests/c/main.c $(C_TESTS) \
		$(ENGINE_SRC) $(SIMD_SRC) build/wasm/cJSON.o
	$(NODE) $(RELAXED_FIX) build/test/c-tests-relaxed-prototype.wasm $@

test-c: build/test/c-tests
	cd tests && ../build/test/c-tests

test-c-wasm: build/test/c-tests-simd.wasm build/test/c-tests-relaxed.wasm
	$(NODE) tests/c/run-wasm.mjs build/test/c-tests-simd.wasm tests
	$(NODE_RELAXED) tests/c/run-wasm.mjs build/test/c-tests-relaxed.wasm tests

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
	@$(MAKE) --no-print-directory test-c test-c-wasm test-conformance test-js test-browser test-size test-package test-fuzz test-alloc

# ---- ONNX node tests (issue 4): Debian's libonnx-testdata through the graph, native
# (ASan + UBSan) and WASM (SIMD); tests/c/onnx_conformance.c.  The per-test list
# lands in build/conformance/.
.PHONY: test-conformance
build/test/onnx-conformance: tests/c/onnx_conformance.c $(ENGINE_SRC) $(HEADERS) build/test/cJSON-san.o
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ tests/c/onnx_conformance.c $(ENGINE_SRC) build/test/cJSON-san.o -lm

build/test/onnx-conformance-simd.wasm: tests/c/onnx_conformance.c $(ENGINE_SRC) $(SIMD_SRC) $(HEADERS) build/wasm/cJSON.o
	@mkdir -p $(@D)
	$(EMCC) $(COMMON_FLAGS) -O2 $(VARIANT_FLAGS_simd) -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH=1 \
		-sTOTAL_STACK=1MB -o $@ tests/c/onnx_conformance.c $(ENGINE_SRC) $(SIMD_SRC) build/wasm/cJSON.o

test-conformance: build/test/onnx-conformance build/test/onnx-conformance-simd.wasm
	@mkdir -p build/conformance
	$(NODE) tests/c/run-conformance.mjs build/test/onnx-conformance --list build/conformance/native.txt
	$(NODE) tests/c/run-conformance.mjs build/test/onnx-conformance-simd.wasm --list build/conformance/wasm.txt

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
	/usr/bin/python3 tests/fixtures/gen/gen_features.py
	/usr/bin/python3 tests/fixtures/gen/gen_numeric_cells.py
	/usr/bin/python3 tests/fixtures/gen/gen_lightgbm.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_decode.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_ml.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_pipelines.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_rest.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_int_trees.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_double.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_gather_label.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_int_prep.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_argmax_axis0.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_v5_double_refused.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_onehot_infrequent.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_mapcast.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_scores.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_activations.py
	cd tests/fixtures/gen && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
	$(NODE) tests/fixtures/gen/expect_onnx.mjs
	/usr/bin/python3 tests/fixtures/gen/gen_ensemble.py
	$(NODE) tests/fixtures/gen/expect_ensemble.mjs
	/usr/bin/python3 tests/fixtures/gen/gen_text.py
	$(NODE) tests/fixtures/gen/gen_wordpiece.mjs
	$(NODE) tests/fixtures/gen/expect_onnx.mjs --dir tests/fixtures/onnx_ml
	/usr/bin/python3 tests/fixtures/gen/check_onnx_rest.py
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_double.py --check
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_scores.py --check
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_activations.py --check
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_int_trees.py --check
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_gather_label.py --check
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_int_prep.py --check
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_argmax_axis0.py --check
	/usr/bin/python3 tests/fixtures/gen/gen_onnx_onehot_infrequent.py --check
	@$(MAKE) --no-print-directory fixtures-tfidf
	@$(MAKE) --no-print-directory fixtures-text

# TF-IDF graphs in skl2onnx's form (scikit-learn fits, onnxruntime-node expects)
# and the NFC step's expected outputs (Python's unicodedata).
.PHONY: fixtures-tfidf
fixtures-tfidf:
	/usr/bin/python3 tests/fixtures/gen/gen_tfidf.py
	$(NODE) tests/fixtures/gen/expect_tfidf.mjs
	/usr/bin/python3 tests/fixtures/gen/gen_nfc.py
	@$(MAKE) --no-print-directory fixtures-run-errors

# Text models trained in torch (fixed seeds: a rerun writes the same bytes) and
# exported with torch.onnx, after gen_text.py (its WordPiece vocabulary); the
# expected outputs from onnxruntime-node on the reference token ids.
.PHONY: fixtures-text
fixtures-text:
	/usr/bin/python3 tests/fixtures/gen/gen_text_gather.py
	/usr/bin/python3 tests/fixtures/gen/gen_text_model.py
	/usr/bin/python3 tests/fixtures/gen/gen_text_torch.py
	$(NODE) tests/fixtures/gen/expect_text_model.mjs
	/usr/bin/python3 tests/fixtures/gen/gen_text_dynamic.py
	$(NODE) tests/fixtures/gen/expect_text_dynamic.mjs

# Rows an ONNX graph fails at run time, under --on-error skip (onnxruntime-node
# runs each row alone: the rows it refuses, the others' probabilities).
.PHONY: fixtures-run-errors
fixtures-run-errors:
	/usr/bin/python3 tests/fixtures/gen/gen_run_errors.py
	$(NODE) tests/fixtures/gen/expect_run_errors.mjs

# ---- CSV parse benchmark (issue 6) ----
# CSV -> float32 columns in WASM, on ../shared/bench's W4 workload (98.5 MB,
# written to build/bench/ by tests/bench/gen_csv.py when missing); prints JSON.
.PHONY: bench-csv
bench-csv: wasm
	@mkdir -p build/bench
	nice -n 19 $(NODE) tests/bench/csv_parse.mjs --out build/bench/csv_parse.json

# ARCHITECTURE.md's budgets: the full engine (every format) at most 250 KB
# gzipped per variant, a tabular-only build (no ONNX: -DLP_NO_ONNX, without
# the protobuf reader, the ONNX loaders, ops/ and the GEMM kernels) at most
# 100 KB.  The tabular build exists to hold that line; it is not shipped.
# KB read as 1,000 bytes, the stricter reading.
SIZE_BUDGET_GZIP         := 250000
SIZE_BUDGET_TABULAR_GZIP := 100000
ONNX_ONLY_SRC := src/io/protobuf.c $(filter src/formats/onnx_% src/ops/% src/kernels/gemm_%,$(ENGINE_SRC) $(SIMD_SRC))
ONNX_ONLY_SRC += $(filter src/kernels/act_%,$(ENGINE_SRC) $(SIMD_SRC))
TABULAR_WASM  := build/size/localpredict-tabular.wasm

$(TABULAR_WASM): $(HOT_SRC) $(SIMD_SRC) src/wasm_api.c $(HEADERS) $(COLD_OBJ_tabular) build/wasm/cJSON.o
	@mkdir -p $(@D)
	$(EMCC) $(WASM_FLAGS) $(VARIANT_FLAGS_tabular) -o $@ \
		$(filter-out $(OMIT_tabular),$(HOT_SRC) $(SIMD_SRC)) src/wasm_api.c $(COLD_OBJ_tabular) build/wasm/cJSON.o

size: wasm $(TABULAR_WASM)
	@for f in $(WASM_OUT) $(TABULAR_WASM); do printf '%-40s %8d bytes, %8d gzipped\n' $$f $$(stat -c %s $$f) $$(gzip -9 -c $$f | wc -c); done

test-size: wasm $(TABULAR_WASM)
	@check() { n=$$(gzip -9 -c $$1 | wc -c); \
	  if [ $$n -gt $$2 ]; then echo "$$1: $$n bytes gzipped, over the $$2-byte budget" >&2; return 1; fi; \
	  echo "$$1: $$n bytes gzipped (budget $$2)"; }; \
	  for f in $(WASM_OUT); do check $$f $(SIZE_BUDGET_GZIP) || exit 1; done; \
	  check $(TABULAR_WASM) $(SIZE_BUDGET_TABULAR_GZIP)

# ---- the web page (web/) ----
# The page's generated modules (engine bytes and the example, inlined: the page never
# fetches), then the single-file page.  scripts/page-bundle.mjs parses with Debian's
# node-acorn (NODE_PATH above).
PORT       ?= 8000
PAGE_GEN   := web/build/engine-bytes.mjs web/build/examples.mjs web/build/pool-worker-bytes.mjs
PAGE_SRC   := web/index.html web/style.css web/worker.mjs $(wildcard web/app/*.mjs) \
	$(filter-out wasm/cli.mjs wasm/node.mjs wasm/load-node.mjs,$(wildcard wasm/*.mjs))

$(PAGE_GEN) &: $(WASM_OUT) wasm/build/localpredict-worker.mjs $(wildcard web/examples/*) scripts/page-modules.mjs \
	scripts/relaxed-patch.mjs web/app/engine-patch.mjs
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
	@sed -n '2,19p' Makefile

# ---- fuzzing (tests/fuzz/README.md) ----
# libFuzzer targets built with Debian's clang (-fsanitize=fuzzer,address,undefined);
# the same targets linked with tests/fuzz/replay.c build with plain cc + ASan/UBSan.
#   make fuzz                 each fuzzer for FUZZ_SECONDS (default 600), new inputs kept in
#                             build/fuzz/found/<target>/ (copy the worthwhile ones to the corpus)
#   make test-fuzz            replays every corpus, then FUZZ_RUNS runs of each fuzzer, seed 1
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_RUNS    ?= 2000
FUZZ_TARGETS := csv_reader xgb_json manifest model_blob predict_csv model_load text
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_ENV     := UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=tests/fuzz/ubsan.supp
FUZZ_OBJ     := $(patsubst src/%.c,build/fuzz/obj/%.o,$(ENGINE_SRC)) build/fuzz/obj/cJSON.o
REPLAY_OBJ   := $(patsubst src/%.c,build/fuzz/replay-obj/%.o,$(ENGINE_SRC)) build/fuzz/replay-obj/cJSON.o

# Objects kept between builds (not make's throw-away intermediates).
.SECONDARY: $(FUZZ_OBJ) $(REPLAY_OBJ)

build/fuzz/obj/%.o: src/%.c $(HEADERS) $(CJSON)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(COMMON_FLAGS) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<
build/fuzz/obj/cJSON.o: $(CJSON)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(COMMON_FLAGS) $(CJSON_FLAGS) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<
build/fuzz/replay-obj/%.o: src/%.c $(HEADERS) $(CJSON)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -c -o $@ $<
build/fuzz/replay-obj/cJSON.o: $(CJSON)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) $(CJSON_FLAGS) -c -o $@ $<

build/fuzz/fuzz-%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(COMMON_FLAGS) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FUZZ_OBJ) -lm
build/fuzz/replay-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(REPLAY_OBJ)
	$(CC) $(SAN_FLAGS) -o $@ $< tests/fuzz/replay.c $(REPLAY_OBJ) -lm

# fuzz_text loads two token-id models, kept as C arrays (make_seeds.py writes them).
build/fuzz/fuzz-text build/fuzz/replay-text: tests/fuzz/text_models.h

.PHONY: fuzz fuzz-build test-fuzz
fuzz-build: $(addprefix build/fuzz/fuzz-,$(FUZZ_TARGETS))

# Niced: fuzzing uses only the CPU nobody else wants.
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do mkdir -p build/fuzz/found/$$t; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_ENV) nice -n 19 build/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/ \
	    -print_final_stats=1 build/fuzz/found/$$t tests/fuzz/corpus/$$t || exit 1; done

# New inputs go to the first folder given, so build/fuzz/ci/ keeps the corpus untouched.
test-fuzz: $(addprefix build/fuzz/replay-,$(FUZZ_TARGETS)) fuzz-build
	@for t in $(FUZZ_TARGETS); do build/fuzz/replay-$$t tests/fuzz/corpus/$$t || exit 1; done
	@for t in $(FUZZ_TARGETS); do echo "== fuzz_$$t: $(FUZZ_RUNS) runs, seed 1"; \
	  rm -rf build/fuzz/ci/$$t; mkdir -p build/fuzz/ci/$$t; \
	  $(FUZZ_ENV) build/fuzz/fuzz-$$t -runs=$(FUZZ_RUNS) -seed=1 -artifact_prefix=build/fuzz/ \
	    build/fuzz/ci/$$t tests/fuzz/corpus/$$t > build/fuzz/ci/$$t.log 2>&1 \
	    || { tail -n 40 build/fuzz/ci/$$t.log; exit 1; }; tail -n 1 build/fuzz/ci/$$t.log; done

# Seeds for fuzz_model_blob (tests/fuzz/make_seeds.py).
build/fuzz/blob-seed: tests/fuzz/blob_seed.c $(REPLAY_OBJ)
	$(CC) $(SAN_FLAGS) -o $@ $< $(REPLAY_OBJ) -lm

# ---- allocation failure (tests/c/alloc_fail.c): the n-th allocation fails, for every n ----
build/test/alloc-fail: tests/c/alloc_fail.c $(ENGINE_SRC) $(HEADERS) build/test/cJSON-san.o
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ tests/c/alloc_fail.c $(ENGINE_SRC) build/test/cJSON-san.o -lm \
		-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free

.PHONY: test-alloc
test-alloc: build/test/alloc-fail
	build/test/alloc-fail

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

build/bench/native/localpredict: src/cli/main.c src/cli/parallel.c src/cli/parallel.h $(BENCH_NATIVE_OBJ)
	$(CC) $(BENCH_NATIVE_FLAGS) -pthread -o $@ src/cli/main.c src/cli/parallel.c $(BENCH_NATIVE_OBJ) -lm

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

# ---- text benchmark (issue 5) ----
# Only the transformer text classifier's row: sentences/s in WASM vs onnxruntime-web
# on the same ONNX file (tests/bench/bench_text.mjs; anchors set up by make bench
# in build/bench/anchors, or LP_BENCH_ANCHORS=dir with onnxruntime-web installed).
.PHONY: bench-text
bench-text: wasm
	@mkdir -p build/bench
	nice -n 19 $(NODE) tests/bench/bench_text.mjs --anchors $(or $(LP_BENCH_ANCHORS),build/bench/anchors) > build/bench/text.json

# ---- worker pool ----
# The pool's worker as one self-contained module, for pages that start workers from a
# blob: URL and fetch nothing (setEngine({ worker }); README "All cores").
POOL_WORKER := wasm/build/localpredict-worker.mjs
wasm: $(POOL_WORKER)
$(POOL_WORKER): wasm/pool-worker.mjs wasm/csv-job.mjs wasm/csv-split.mjs wasm/engine.mjs wasm/errors.mjs wasm/detect.mjs \
		scripts/bundle-worker.mjs
	@mkdir -p $(@D)
	$(NODE) scripts/bundle-worker.mjs wasm/pool-worker.mjs $@
