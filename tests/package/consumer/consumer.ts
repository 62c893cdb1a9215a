// consumer.ts — a TypeScript user of the installed package, type-checked (never run) by
// tests/package/tarball.test.mjs with `tsc --noEmit`, once with moduleResolution
// "nodenext" and once with "bundler".  The @ts-expect-error lines fail the check if the
// types are missing or too loose (`any` would accept them, leaving the directive unused).
import { loadModel, setEngine, simdSupported, version, LocalPredictError } from 'localpredict';
import type { Manifest, Model, ModelInfo, PredictResult, Labels, ErrorCode, Progress } from 'localpredict';

const manifest: Manifest = { localpredict: 1, classes: ['setosa', 'versicolor', 'virginica'], task: 'multiclass' };

export async function run(modelBytes: Uint8Array, csv: string): Promise<string> {
  setEngine({ simd: simdSupported() ? 'auto' : false });
  const model: Model = await loadModel(modelBytes, { manifest, threshold: 0.5 });
  const info: ModelInfo = model.info;
  const featureCount: number = info.features.count;
  const sha: string = info.sha256;

  const labels: Labels = model.predict([{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
  const result: PredictResult = model.predict({ data: new Float32Array(featureCount), rows: 1, cols: featureCount },
    { returnPredProba: true });
  const probabilities: Float32Array = result.probabilities.data;

  const stream: ReadableStream<Uint8Array> = model.predictCsv(csv, {
    keep: ['id'],
    onProgress: (p: Progress) => { const rows: number = p.rows; void rows; },
  });
  await stream.cancel();

  try {
    return await model.predictCsvText(csv);
  } catch (e) {
    if (e instanceof LocalPredictError) {
      const code: ErrorCode = e.code;
      const line: number | undefined = e.where.line;
      throw new Error(`${code} at ${line}: ${e.message} (${version}, ${sha}, ${labels.length}, ${probabilities.length})`);
    }
    throw e;
  } finally {
    model.dispose();
  }
}

export async function misuse(model: Model): Promise<void> {
  // @ts-expect-error predict takes rows, not a number
  model.predict(42);
  // @ts-expect-error the task is one of four words
  await loadModel(new Uint8Array(0), { task: 'clustering' });
  // @ts-expect-error a manifest needs its version key
  const noVersion: Manifest = { classes: ['a'] };
  // @ts-expect-error without returnPredProba, predict gives labels only
  const p: PredictResult = model.predict([[1, 2, 3, 4]]);
  // @ts-expect-error info is read-only
  model.info = model.info;
  void noVersion; void p;
}
