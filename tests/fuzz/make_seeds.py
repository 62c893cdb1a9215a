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


if __name__ == '__main__':
    main()
