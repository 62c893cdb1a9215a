#!/usr/bin/python3
"""make_seeds.py — writes the seed corpora of tests/fuzz/corpus/ from the test fixtures.

Run from the repository root after `make build/fuzz/blob-seed`:
    /usr/bin/python3 tests/fuzz/make_seeds.py
Seeds are kept small: each fixture model is cut to its first two iterations
(still a valid model of the same kind), CSVs to their first rows.  Files
named regression-* in the corpora are findings and are never overwritten.
tests/c/alloc_fail.c loads three of the xgb_json seeds (small models of each kind).
Only the standard library is used.
"""
import json
import os
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, 'tests', 'fixtures', 'xgboost')
CORPUS = os.path.join(ROOT, 'tests', 'fuzz', 'corpus')
BLOB_SEED = os.path.join(ROOT, 'build', 'fuzz', 'blob-seed')


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), 'wb') as f:
        f.write(data)


def cut_model(model, iterations=2):
    """The model with only its first `iterations` boosting rounds."""
    learner = model['learner']
    booster = learner['gradient_booster']
    gbtree = booster['model'] if 'model' in booster else booster['gbtree']['model']
    param = learner['learner_model_param']
    groups = max(int(param.get('num_class', '0')), int(param.get('num_target', '1')), 1)
    keep = groups * iterations
    gbtree['trees'] = gbtree['trees'][:keep]
    gbtree['tree_info'] = gbtree['tree_info'][:keep]
    gbtree['gbtree_model_param']['num_trees'] = str(keep)
    if 'iteration_indptr' in gbtree:
        gbtree['iteration_indptr'] = gbtree['iteration_indptr'][:iterations + 1]
    if 'weight_drop' in booster:
        booster['weight_drop'] = booster['weight_drop'][:keep]
    attrs = learner.get('attributes', {})
    if 'best_iteration' in attrs:
        attrs['best_iteration'] = '0'
    if 'best_ntree_limit' in attrs:
        attrs['best_ntree_limit'] = str(groups)
    return json.dumps(model, separators=(',', ':')).encode()


def head(path, rows):
    with open(path, 'rb') as f:
        return b''.join(f.readlines()[:rows + 1])


def main():
    cases = sorted(d for d in os.listdir(FIX) if os.path.exists(os.path.join(FIX, d, 'model.json')))
    for i, case in enumerate(cases):
        d = os.path.join(FIX, case)
        with open(os.path.join(d, 'model.json')) as f:
            model = cut_model(json.load(f))
        csv = head(os.path.join(d, 'input.csv'), 4)
        write('xgb_json', f'{case}.json', model)
        write('csv_reader', f'{case}.csv', bytes([7 + i, i, 0]) + csv)
        # options vary the batch size, chunking and --include-input across seeds
        options = (i * 37) & 0xFD   # never --check, so the seeds predict
        write('predict_csv', f'{case}.bin', bytes([options, i, 1]) + struct.pack('<H', len(model)) + model + csv)
        if os.path.exists(BLOB_SEED):
            tmp = os.path.join(CORPUS, 'model_blob', f'{case}.json.tmp')
            write('model_blob', f'{case}.json.tmp', model)
            subprocess.run([BLOB_SEED, tmp, os.path.join(CORPUS, 'model_blob', f'{case}.blob')], check=True)
            os.remove(tmp)
        manifest = os.path.join(d, 'model.localpredict.json')
        if os.path.exists(manifest):
            with open(manifest, 'rb') as f:
                write('manifest', f'{case}.json', bytes([0]) + f.read())
    if not os.path.exists(BLOB_SEED):
        print('no build/fuzz/blob-seed: model_blob seeds not written', file=sys.stderr)

    # Hand-written CSVs for the reader: quoting, line ends, BOMs, blank lines.
    for name, text in {
        'quoted.csv': b'a,"b ""x"", y",c\r\n1,"two\nlines",3\r\n',
        'cr-only.csv': b'a,b\r1,2\r\r3,4',
        'bom.csv': b'\xef\xbb\xbfa,b\n1,2\n',
        'partial-bom.csv': b'\xef\xbba,b\n',
        'blank-lines.csv': b'\n\na,b\n\n1,2\n\n',
        'unterminated.csv': b'a,b\n1,"2\n3,4\n',
        'after-quote.csv': b'a,b\n"1"x,2\n',
        'empty-fields.csv': b',,\n,,\n"",""\n',
    }.items():
        write('csv_reader', name, bytes([3, 1, 2]) + text)

    # Manifests: every key, both as a manifest (selector bit 0 = 0) and as overrides,
    # on the three models (bits 1-2).
    manifests = [
        {'localpredict': 1, 'classes': ['a', 'b', 'c'], 'task': 'multiclass', 'threshold': 0.5},
        {'localpredict': 1, 'classes': ['no', 'yes'], 'threshold': {'yes': 0.7}, 'missing': [-999]},
        {'localpredict': 1, 'features': ['x2', 'x1', 'x0'], 'iterations': 'all'},
        {'localpredict': 1, 'task': 'multilabel', 'classes': ['p', 'q', 'r'], 'threshold': {'q': 0.2}},
        {'localpredict': 1, 'task': 'regression', 'missing': [0, -999]},
        {'localpredict': 1, 'clases': ['typo']},
    ]
    for i, m in enumerate(manifests):
        for sel in range(6):
            write('manifest', f'm{i}-{sel}.json', bytes([sel]) + json.dumps(m).encode())


# ---- wave 2: ensembles, typed features and cats, embedded manifests, ONNX dtypes and
# operators, ai.onnx.ml encoders and string inputs, TreeEnsemble opset 5, text ----
FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')


def fixture(*parts):
    with open(os.path.join(FIXTURES, *parts), 'rb') as f:
        return f.read()


def cut_file(*parts):
    """A fixture XGBoost JSON model cut to two iterations (its embedded manifest and cats kept)."""
    return cut_model(json.loads(fixture(*parts)))


def predict_seed(i, model, csv):
    options = (i * 37) & 0xFD
    return bytes([options, i, 1]) + struct.pack('<H', len(model)) + model + csv


def blob(model_path, out, *parts, whole=False):
    """The blob of a model (loaded with parts): without its magic unless whole."""
    args = [BLOB_SEED] + (['--whole'] if whole else []) + [model_path, out] + list(parts)
    subprocess.run(args, check=True)
    with open(out, 'rb') as f:
        return f.read()


def text_models_header():
    """tests/fuzz/text_models.h: the two token-id ONNX models fuzz_text loads."""
    out = ['/* text_models.h — generated by make_seeds.py from tests/fixtures/: the models',
           ' * fuzz_text.c loads (int64 token-id inputs "ids" of width 4 and 5; an EmbeddingBag',
           ' * Loop over ids and offsets of any length, symbolic dims). */',
           '#ifndef LP_FUZZ_TEXT_MODELS_H', '#define LP_FUZZ_TEXT_MODELS_H', '#include <stdint.h>']
    for name, d in (('fuzz_token_ids_onnx', ('onnx', 'token_ids_int64')),
                    ('fuzz_text_attention_onnx', ('onnx', 'text_attention_opset18')),
                    ('fuzz_embedding_bag_onnx', ('text_dynamic', 'embedding_bag_sum'))):
        data = fixture(*d, 'model.onnx')
        out.append(f'static const uint8_t {name}[{len(data)}] = {{')
        for at in range(0, len(data), 16):
            out.append('    ' + ', '.join(f'0x{b:02x}' for b in data[at:at + 16]) + ',')
        out.append('};')
    out.append('#endif')
    with open(os.path.join(ROOT, 'tests', 'fuzz', 'text_models.h'), 'w') as f:
        f.write('\n'.join(out) + '\n')


def text_seed(options, manifest, vocab=b'', csv=b''):
    m = json.dumps(manifest).encode() if not isinstance(manifest, bytes) else manifest
    return bytes([options, 7, 1]) + struct.pack('<HH', len(m), len(vocab)) + m + vocab + csv


def wave2():
    tmp = os.path.join(ROOT, 'build', 'fuzz', 'seed-tmp')
    os.makedirs(tmp, exist_ok=True)
    have_blob = os.path.exists(BLOB_SEED)

    # XGBoost JSON with typed features (cats), 31 categories, an embedded manifest.
    xgb = {name: cut_file('features', name + '.json') for name in ('model', 'model_cats31', 'model_embedded')}
    for name, model in xgb.items():
        write('xgb_json', f'features_{name}.json', model)
    csv_features = head(os.path.join(FIXTURES, 'features', 'input.csv'), 4)
    csv_cats31 = head(os.path.join(FIXTURES, 'features', 'input_cats31.csv'), 4)
    write('predict_csv', 'features_embedded.bin', predict_seed(1, xgb['model_embedded'], csv_features))
    write('predict_csv', 'features_cats31.bin', predict_seed(2, xgb['model_cats31'], csv_cats31))
    write('model_load', 'features_mlp_embedded.onnx', fixture('features', 'mlp_embedded.onnx'))

    # ONNX: the new operators (and their refusals), dtypes, ai.onnx.ml encoders, opset-5 trees.
    onnx_models = {
        'onnx_text_attention_opset18': ('onnx', 'text_attention_opset18'),
        'onnx_token_ids_int64': ('onnx', 'token_ids_int64'),
        'onnx_typed_columns': ('onnx', 'typed_columns'),
        'onnx_per_column_concat_mlp': ('onnx', 'per_column_concat_mlp'),
        'onnx_mlp_batchnorm': ('onnx', 'mlp_batchnorm'),
        'ml_skl_ordinal_labelencoder': ('onnx_ml', 'skl_ordinal_labelencoder'),
        'ml_skl_onehot_strict_binary': ('onnx_ml', 'skl_onehot_strict_binary'),
        'ml_skl_imputer_scaler_logreg': ('onnx_ml', 'skl_imputer_scaler_logreg'),
        'ml_skl_columns_binarizer_binary': ('onnx_ml', 'skl_columns_binarizer_binary'),
        'ml_v5_binary_logistic': ('onnx_ml', 'v5_binary_logistic'),
        'ml_v5_regressor_average': ('onnx_ml', 'v5_regressor_average'),
    }
    for i, (name, (kind, d)) in enumerate(sorted(onnx_models.items())):
        model = fixture(kind, d, 'model.onnx')
        write('model_load', f'{name}.onnx', model)
        csv = head(os.path.join(FIXTURES, kind, d, 'input.csv'), 4)
        write('predict_csv', f'{name}.bin', predict_seed(i + 3, model, csv))
    for bad in ('gather_index_out_of_range', 'layer_norm_scale', 'matmul_mismatch', 'reduce_axis_out_of_range',
                'reshape_mismatch', 'slice_rows', 'topk_too_many', 'transpose_bad_perm', 'where_not_bool'):
        write('model_load', f'onnx_bad_{bad}.onnx', fixture('onnx', 'bad', bad + '.onnx'))
    # (ml_bad_cast_to_string.onnx stays in the corpus: its fixture went when Cast to string was supported.)
    for bad in ('dictvectorizer_castmap', 'double_splits_float_input', 'v5_leaf_out_of_range',
                'v5_member_without_set', 'v5_shared_subtree'):
        write('model_load', f'ml_bad_{bad}.onnx', fixture('onnx_ml', 'bad', bad + '.onnx'))

    if have_blob:
        # Blobs of the new kinds of model (forest with cats; opset-5 forest; encoders).
        for name, model in (('features_model', xgb['model']), ('features_cats31', xgb['model_cats31'])):
            path = os.path.join(tmp, name + '.json')
            with open(path, 'wb') as f:
                f.write(model)
            write('model_blob', f'{name}.blob', blob(path, os.path.join(tmp, name + '.blob')))
        for name in ('v5_binary_logistic', 'skl_ordinal_labelencoder'):
            path = os.path.join(FIXTURES, 'onnx_ml', name, 'model.onnx')
            write('model_blob', f'ml_{name}.blob', blob(path, os.path.join(tmp, name + '.blob')))
        # An ensemble of an XGBoost model (cut) and an ONNX MLP, as its LPENSEM1 blob.
        d = os.path.join(FIXTURES, 'ensemble', 'xgb_onnx')
        with open(os.path.join(tmp, 'xgb.json'), 'wb') as f:
            f.write(cut_file('ensemble', 'xgb_onnx', 'xgb.json'))
        ens = blob(os.path.join(d, 'ensemble.localpredict.json'), os.path.join(tmp, 'ens.lpensem'),
                   os.path.join(tmp, 'xgb.json'), os.path.join(d, 'mlp.onnx'), whole=True)
        write('model_load', 'ensemble_xgb_mlp.lpensem', ens)
        write('predict_csv', 'ensemble_xgb_mlp.bin', predict_seed(20, ens, head(os.path.join(d, 'input.csv'), 4)))

    # Manifests with the new keys on the fuzz target's models (x0, x1 floats, x2 categorical).
    manifests = [
        {'localpredict': 1, 'features': [{'column': 'x0', 'type': 'integer'}, {'column': 'x1', 'type': 'boolean'},
                                         {'column': 'x2', 'type': 'category', 'categories': ['a', 'b', 'c', 'd'],
                                          'unknown': 'missing'}]},
        {'localpredict': 1, 'features': ['x0', {'column': 'x1', 'type': 'number'},
                                         {'column': 'x2', 'type': 'category', 'categories': {'b': 1, 'e': 3}}]},
        {'localpredict': 1, 'ensemble': [{'model': 'a.json', 'weight': 2}, {'model': 'b.onnx', 'manifest': {}}]},
        {'localpredict': 1, 'preprocess': {'text': 'x0', 'tokenizer': 'words', 'vocab': {'a': 1}, 'max_length': 4}},
    ]
    for i, m in enumerate(manifests):
        for sel in range(6):
            write('manifest', f'w2-{i}-{sel}.json', bytes([sel]) + json.dumps(m).encode())

    # Text: every tokenizer, inline and as a part, with steps, joins and hostile cells.
    text_models_header()
    keras = json.loads(fixture('text', 'keras_oov_numwords.json'))
    csv = ('review,id\n"Great, GREAT product!",1\ncafé déjà vu İstanbul ΣΑΣ,2\n,3\n'
           '"北京 emoji 😀 tab\tend",4\n').encode()
    csv2 = ('title,body\nHello,World\n"a ""quoted"" one",  spaced   out  \nÉcole,ﬁne ﬂour\n').encode()
    vocab_txt = b'[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\ncafe\n##ing\na\n!\n\xe5\x8c\x97\n'
    tokenizer_json = fixture('text', 'wordpiece_uncased', 'tokenizer.json')
    tj = json.loads(tokenizer_json)
    tj['model']['vocab'] = {k: v for k, v in tj['model']['vocab'].items() if v < 40}
    small_tj = json.dumps(tj, separators=(',', ':')).encode()
    seeds = {
        'keras_inline': (0x10, {'localpredict': 1, 'preprocess': {
            'text': 'review', 'tokenizer': 'keras', 'vocab': keras, 'max_length': 4,
            'padding': 'post', 'truncating': 'pre', 'inputs': {'ids': 'ids'}}}, b'', csv),
        'keras_file_attention': (0x25, {'localpredict': 1, 'preprocess': {
            'text': 'review', 'steps': ['lowercase', 'strip_accents', 'remove_punctuation', 'collapse_whitespace'],
            'tokenizer': 'keras', 'vocab': 'tokenizer.json', 'max_length': 5, 'inputs': {'ids': 'ids'}}},
            json.dumps(keras).encode(), csv),
        'wordpiece_vocab_txt': (0x34, {'localpredict': 1, 'preprocess': {
            'text': ['title', 'body'], 'join': ' | ', 'tokenizer': 'wordpiece', 'vocab': 'vocab.txt',
            'lowercase': True, 'max_length': 4, 'inputs': {'ids': 'ids', 'attention_mask': None, 'token_type_ids': None}}}, vocab_txt, csv2),
        'wordpiece_tokenizer_json': (0x49, {'localpredict': 1, 'preprocess': {
            'text': 'review', 'tokenizer': 'wordpiece', 'vocab': 'tokenizer.json', 'max_length': 5,
            'inputs': {'ids': 'ids', 'attention_mask': None, 'token_type_ids': None}}}, small_tj, csv),
        'wordpiece_inline_lines': (0x58, {'localpredict': 1, 'preprocess': {
            'text': 'review', 'tokenizer': 'wordpiece', 'lowercase': False,
            'vocab': ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'Great', '##ly', ',', 'caf', '##é'],
            'max_length': 4, 'inputs': {'ids': 'ids', 'attention_mask': None, 'token_type_ids': None}}}, b'', csv),
        'words_file_oov': (0x61, {'localpredict': 1, 'preprocess': {
            'text': 'review', 'steps': ['lowercase', {'remove': 'aeiou'}, 'remove_digits'],
            'tokenizer': 'words', 'vocab': 'vocab.json', 'oov': 1, 'max_length': 5, 'padding': 'pre',
            'pad_value': 0, 'inputs': {'ids': 'ids'}}}, b'{"grt": 2, "prdct": 3, "\u00e7": 4, "": 5}', csv),
        'words_ids_out_of_range': (0x71, {'localpredict': 1, 'preprocess': {
            'text': 'review', 'tokenizer': 'words', 'vocab': {'Great,': 99999, 'product!': 3}, 'max_length': 5,
            'inputs': {'ids': 'ids'}}}, b'', csv),
        'bad_utf8_cell': (0x80, {'localpredict': 1, 'preprocess': {
            'text': 'review', 'tokenizer': 'words', 'vocab': {'a': 1}, 'max_length': 4,
            'inputs': {'ids': 'ids'}}}, b'', b'review\na\n\xc3\x28 b\n\xf0\x9f\x98\n'),
    }
    for name, (options, manifest, vocab, text) in seeds.items():
        write('text', f'{name}.bin', text_seed(options, manifest, vocab, text))


def tfidf_seeds():
    """TF-IDF graphs (StringNormalizer, Tokenizer, TfIdfVectorizer): the
    fixtures and the refused models to fuzz_model_load, the fixtures with the
    first rows of their inputs (quoted texts, empty ones) to fuzz_predict_csv."""
    cases = ['tfidf_bigrams_multiclass', 'count_separators_binary', 'tf_l2_separators_multiclass']
    for i, case in enumerate(cases):
        model = fixture('tfidf', case, 'model.onnx')
        write('model_load', f'tfidf_{case}.onnx', model)
        rows = fixture('tfidf', case, 'input.csv').decode().split('\n')
        csv = '\n'.join(rows[:6] + rows[-14:-1]).encode() + b'\n'
        write('predict_csv', f'tfidf_{case}.bin', predict_seed(40 + i, model, csv))
    for name in sorted(os.listdir(os.path.join(FIXTURES, 'tfidf', 'bad'))):
        if name.endswith('.onnx'):
            write('model_load', f'tfidf_bad_{name}', fixture('tfidf', 'bad', name))


# ---- wave 3: the XGBoost JSON fast reader, --check, ONNX maps and string casts,
# tree-ensemble operators, EmbeddingBag (Loop), symbolic dims, text models with an
# embedded manifest, the "nfc" step ----

def small_keras_manifest(manifest, words=20):
    """A text manifest with its Keras tokenizer cut to the `words` first indices (only the
    keys keras.c reads), so the seed stays small."""
    m = json.loads(json.dumps(manifest))
    cfg = m['preprocess']['vocab']['config']
    index = json.loads(cfg['word_index'])
    cfg['word_index'] = json.dumps({w: i for w, i in index.items() if i <= words})
    for k in ('document_count', 'word_counts', 'word_docs', 'index_docs', 'index_word'):
        cfg.pop(k, None)
    return m


def pb_bytes(field, data):
    """A length-delimited protobuf field (short fields: tags and lengths as varints)."""
    def varint(n):
        out = b''
        while True:
            b, n = n & 0x7F, n >> 7
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out
    return varint(field << 3 | 2) + varint(len(data)) + data


def with_manifest(onnx, manifest):
    """The ONNX model with the manifest in ModelProto.metadata_props (field 14) under
    "localpredict": appended, as protobuf allows a repeated field anywhere."""
    entry = pb_bytes(1, b'localpredict') + pb_bytes(2, json.dumps(manifest, separators=(',', ':')).encode())
    return onnx + pb_bytes(14, entry)


def wave3():
    tmp = os.path.join(ROOT, 'build', 'fuzz', 'seed-tmp')
    os.makedirs(tmp, exist_ok=True)
    have_blob = os.path.exists(BLOB_SEED)

    # ONNX models of the new operators, with the first rows of their inputs.  Text and
    # dims models carry their manifest inside (fuzz_model_load / fuzz_predict_csv load
    # without one), the Keras vocabulary cut small.
    def manifest_of(*parts):
        m = json.loads(fixture(*parts, 'model.localpredict.json'))
        return small_keras_manifest(m) if 'preprocess' in m else m
    models = {   # name: (model bytes, input CSV path or None)
        'ml_castmap_sparse_logreg': ('onnx_ml', 'castmap_sparse_logreg'),
        'ml_dictvectorizer_int_keys': ('onnx_ml', 'skl_dictvectorizer_int_keys_binary'),
        'ml_text_numbers_cast': ('onnx_ml', 'text_numbers_cast'),
        'ml_ordinal_int64_cast_string': ('onnx_ml', 'skl_ordinal_int64_cast_string'),
        'ml_sparkml_vectorindexer_cast_string': ('onnx_ml', 'sparkml_vectorindexer_cast_string'),
        'ml_string_equal_constant': ('onnx_ml', 'string_equal_constant'),
        'ml_trees_two_regressors_add': ('onnx_ml', 'trees_two_regressors_add'),
        'ml_trees_regressor_min_2t': ('onnx_ml', 'trees_regressor_min_2t'),
        'run_errors_gather': ('run_errors', 'gather'),
        'run_errors_onehot': ('run_errors', 'onehot'),
        'tfidf_forest_multiclass': ('tfidf', 'tfidf_forest_multiclass'),
    }
    seeds = {}
    for name, parts in models.items():
        seeds[name] = (fixture(*parts, 'model.onnx'), os.path.join(FIXTURES, *parts, 'input.csv'))
    for name, parts in {'text_torch_mean': ('text_model', 'torch_mean'),
                        'dyn_embedding_bag_sum': ('text_dynamic', 'embedding_bag_sum'),
                        'dyn_embedding_bag_max': ('text_dynamic', 'embedding_bag_max'),
                        'dyn_torch_mean_seq': ('text_dynamic', 'torch_mean_seq'),
                        'dyn_mlp_dims': ('text_dynamic', 'mlp_dims')}.items():
        seeds[name] = (with_manifest(fixture(*parts, 'model.onnx'), manifest_of(*parts)),
                       os.path.join(FIXTURES, *parts, 'input.csv'))
    seeds['ml_cast_string_not_a_number'] = (fixture('onnx_ml', 'run_errors', 'cast_string_not_a_number.onnx'), None)
    for i, (name, (model, csv_path)) in enumerate(sorted(seeds.items())):
        write('model_load', f'w3_{name}.onnx', model)
        if csv_path:
            csv = head(csv_path, 4)
            if name.startswith('tfidf'):   # long texts: the first two rows
                csv = head(csv_path, 2)
            write('predict_csv', f'w3_{name}.bin', predict_seed(60 + i, model, csv))
            if name.startswith('run_errors') or name == 'ml_text_numbers_cast':
                # on_error skip (bit 7 of byte 2): rows the model refuses at run time, a bad
                # cell, a ragged row, all kept with their Error column.
                seed = bytearray(predict_seed(60 + i, model, head(csv_path, 6) + b'1e999,x\n1\n'))
                seed[2] |= 0x80
                write('predict_csv', f'w3_{name}_skip.bin', bytes(seed))
    # Refusals: an EmbeddingBag Loop without its manifest, a string Equal of two inputs,
    # a text model's row count, rows merged by a Reshape, a value beyond float.
    for name, parts in {'loop_reduce_min': ('text_dynamic', 'loop_reduce_min.onnx'),
                        'string_equal_two_inputs': ('onnx_ml', 'refused', 'string_equal_two_inputs.onnx'),
                        'text_rows_count': ('onnx', 'bad_text', 'rows_count.onnx'),
                        'reshape_merging_rows': ('onnx', 'bad', 'reshape_merging_rows.onnx'),
                        'value_too_large': ('onnx', 'bad', 'value_too_large.onnx'),
                        'split_rows': ('onnx_ml', 'bad', 'split_rows.onnx'),
                        'gather_small': ('text_model', 'gather_small', 'model.onnx')}.items():
        write('model_load', f'w3_bad_{name}.onnx', fixture(*parts))

    # --check (options bit 1): the report of a CSV with bad cells, ragged rows, a map column.
    check_cases = {
        'check_xgb_bad_cells': (cut_file('features', 'model.json'),
                                head(os.path.join(FIXTURES, 'features', 'input.csv'), 2) + b'x,,y,z,1e999\n1,2\n'),
        'check_dictvectorizer': (seeds['ml_dictvectorizer_int_keys'][0],
                                 head(seeds['ml_dictvectorizer_int_keys'][1], 3) + b'"{1: x}"\n'),
        'check_text_numbers_cast': (seeds['ml_text_numbers_cast'][0],
                                    head(seeds['ml_text_numbers_cast'][1], 3) + b'not a number\n\n'),
        'check_embedding_bag': (seeds['dyn_embedding_bag_sum'][0],
                                head(seeds['dyn_embedding_bag_sum'][1], 2) + b'9,\xff\xfe bad utf-8\n10,"a,b"c\n'),
    }
    for i, (name, (model, csv)) in enumerate(sorted(check_cases.items())):
        options = ((i * 37) & 0xFD) | 2
        skip = 0x80 if i % 2 else 0   # on_error skip: the report counts the skipped lines
        write('predict_csv', f'w3_{name}.bin', bytes([options, i, 3 | skip]) + struct.pack('<H', len(model)) + model + csv)

    if have_blob:
        # Blobs of a graph with tree-ensemble operators, a TF-IDF graph, a dims model.
        for name in ('ml_trees_two_regressors_add', 'tfidf_forest_multiclass', 'dyn_mlp_dims'):
            path = os.path.join(tmp, name + '.onnx')
            with open(path, 'wb') as f:
                f.write(seeds[name][0])
            write('model_blob', f'w3_{name}.blob', blob(path, os.path.join(tmp, name + '.blob')))

    # XGBoost JSON for the fast reader: empty containers on its paths, long and
    # exponent numbers, every kind of white space (each must agree with cJSON's path).
    base = json.loads(cut_file('features', 'model.json'))
    pretty = json.dumps(base, indent='\t').replace('\n', '\r\n').encode()
    write('xgb_json', 'w3_pretty_crlf_tabs.json', pretty)
    m = json.loads(json.dumps(base))
    trees = m['learner']['gradient_booster']['model']['trees']
    trees[0]['split_conditions'] = [float(f'{v:.17g}') if isinstance(v, float) else v for v in trees[0]['split_conditions']]
    text = json.dumps(m, separators=(',', ':'))
    text = text.replace('"loss_changes":[', '"loss_changes":[1.00000000000000000000000001e-0005,')
    text = text.replace('"base_weights":[', '"base_weights":[123456789012345678901234,', 1)
    write('xgb_json', 'w3_long_numbers.json', text.encode())
    m = json.loads(json.dumps(base))
    m['learner']['attributes'] = {}
    m['learner']['gradient_booster']['model']['trees'] = []
    m['learner']['gradient_booster']['model']['tree_info'] = []
    write('xgb_json', 'w3_empty_trees.json', json.dumps(m).encode())
    m = json.loads(json.dumps(base))
    m['learner']['gradient_booster']['model']['trees'][0]['categories'] = []
    m['learner']['gradient_booster']['model']['trees'][1] = {}
    write('xgb_json', 'w3_empty_tree_object.json', json.dumps(m, separators=(',', ':')).encode())

    # Manifests: "dims" and "details" on the three XGBoost models.
    for i, m in enumerate([
        {'localpredict': 1, 'dims': {'features': 3, 'seq': 0}},
        {'localpredict': 1, 'details': {'name': 'n', 'type': 't', 'version': '1', 'trained': '2026', 'description': 'd'}},
    ]):
        for sel in range(0, 6, 2):
            write('manifest', f'w3-{i}-{sel}.json', bytes([sel]) + json.dumps(m).encode())

    # Text: the EmbeddingBag model (options bit 1: variable-length ids and offsets),
    # the "nfc" step, the "graph" tokenizer (refused on an ids model).
    bag = small_keras_manifest(json.loads(fixture('text_dynamic', 'embedding_bag_sum', 'model.localpredict.json')))
    bag['preprocess']['max_length'] = 6
    csv = ('id,review\n1,package very is colour is this average size colour\n2,\n'
           '3,"Caf\u00e9 de\u0301ja\u0300 vu, OK!"\n').encode()
    write('text', 'w3_embedding_bag.bin', text_seed(0x12, bag, b'', csv))
    bag['preprocess']['steps'] = ['nfc', 'lowercase', 'strip_accents']
    bag['preprocess']['truncating'] = 'pre'
    write('text', 'w3_embedding_bag_nfc.bin', text_seed(0x36, bag, b'', csv))
    write('text', 'w3_nfc_words.bin', text_seed(0x40, {'localpredict': 1, 'preprocess': {
        'text': 'review', 'steps': ['nfc', 'collapse_whitespace'], 'tokenizer': 'words',
        'vocab': {'caf\u00e9': 1, 'd\u00e9j\u00e0': 2}, 'max_length': 4, 'inputs': {'ids': 'ids'}}},
        b'', 'review\ncafe\u0301 de\u0301ja\u0300\n\uac00\u11a8 \u1100\u1161\n'.encode()))
    write('text', 'w3_graph_tokenizer.bin', text_seed(0x50, {'localpredict': 1, 'preprocess': {
        'text': 'review', 'tokenizer': 'graph'}}, b'', b'review\nx\n'))


if __name__ == '__main__':
    main()
    wave2()
    tfidf_seeds()
    wave3()
