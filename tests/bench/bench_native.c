/* bench_native.c — localpredict's native build (-O3 -march=native) with the
 * anchors' protocol (../shared/bench/bench_ort.mjs): per batch size a warm-up
 * of >= 0.2 s, then `reps` repetitions that each run calls, cycling through
 * the input rows, until 0.3 s have passed; the median rows/s is reported.
 * Timed per call: lp_model_predict_matrix on a slice of the rows (the same
 * engine call the JS API's matrix path makes).  Prints one JSON object.
 *
 *   bench_native MODEL X.f32 FEATURES BATCHES(1,64,...) REPS [EXPECTED.f32]
 *   bench_native MODEL X.f32 FEATURES serve
 *
 * Load: cold = the first lp_model_load in the process, warm = median of 3 more.
 *
 * serve: for the interleaved benchmarks (tests/bench/trees_vs_ort.mjs,
 * mlp_vs_ort.mjs), which measure several engines per round in the same time
 * window.  The model stays loaded; each line "BATCH MIN_MS" read from stdin
 * runs calls of BATCH rows (cycling through the input, at least one) until
 * MIN_MS have passed and answers one line {"wall": rows/s, "cpu": rows per CPU
 * second, "calls": n}.  It ends at end of input.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "localpredict.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) free(p), p = NULL;
    fclose(f);
    *len = (size_t)n;
    return p;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static lp_model *load(const void *bytes, size_t len, double *ms)
{
    lp_error err;
    lp_model *m = NULL;
    double t0 = now_ms();
    lp_status s = lp_model_load(bytes, len, NULL, &m, &err);
    *ms = now_ms() - t0;
    if (s != LP_OK) {
        char msg[4096];
        lp_error_format(&err, NULL, msg, sizeof msg);
        fprintf(stderr, "bench_native: %s\n", msg);
        exit(1);
    }
    return m;
}

/* The serve mode's loop (see the header). */
static int serve(lp_model *m, const float *x, size_t rows, size_t features, float *proba, uint8_t *chosen)
{
    lp_predict_options opts = lp_predict_options_default();
    lp_error err;
    size_t off = 0, bs;
    double min_ms;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("{\"ready\": true}\n");
    while (scanf("%zu %lf", &bs, &min_ms) == 2) {
        if (bs == 0 || bs > rows) {
            printf("{\"error\": \"batch %zu is not in 1..%zu\"}\n", bs, rows);
            continue;
        }
        off %= rows - bs + 1;   /* the previous request's batch may have been smaller */
        long calls = 0;
        double c0 = cpu_ms(), t0 = now_ms(), el = 0;
        while (calls < 1 || el < min_ms) {
            if (lp_model_predict_matrix(m, x + off * features, bs, features, &opts, proba, chosen, &err) != LP_OK) {
                printf("{\"error\": \"predict failed\"}\n");
                return 1;
            }
            off = (off + bs) % (rows - bs + 1);
            calls++;
            el = now_ms() - t0;
        }
        double cpu = cpu_ms() - c0;
        printf("{\"wall\": %.1f, \"cpu\": %.1f, \"calls\": %ld}\n", (double)calls * (double)bs / (el / 1000),
               (double)calls * (double)bs / ((cpu > 0 ? cpu : el) / 1000), calls);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int serving = argc == 5 && strcmp(argv[4], "serve") == 0;
    if (argc < 6 && !serving) {
        fprintf(stderr, "usage: bench_native MODEL X.f32 FEATURES BATCHES REPS [EXPECTED.f32]\n"
                        "       bench_native MODEL X.f32 FEATURES serve\n");
        return 2;
    }
    size_t model_len, x_len, features = (size_t)atoi(argv[3]);
    void *model_bytes = read_file(argv[1], &model_len);
    float *x = read_file(argv[2], &x_len);
    int reps = serving ? 1 : atoi(argv[5]);
    if (!model_bytes || !x || !features || reps < 1 || reps > 64) {
        fprintf(stderr, "bench_native: cannot read %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    size_t rows = x_len / 4 / features;

    double cold, warm[3];
    lp_model *m = load(model_bytes, model_len, &cold);
    for (int i = 0; i < 3; i++) lp_model_destroy(load(model_bytes, model_len, &warm[i]));
    size_t k = lp_model_n_outputs(m);
    lp_predict_options opts = lp_predict_options_default();
    float *proba = malloc(rows * k * sizeof *proba);
    uint8_t *chosen = malloc(rows * k);
    lp_error err;
    if (serving) {
        int rc = serve(m, x, rows, features, proba, chosen);
        lp_model_destroy(m);
        free(proba), free(chosen), free(model_bytes), free(x);
        return rc;
    }

    printf("{\n \"tool\": \"bench_native\",\n \"load_ms_cold\": %.2f,\n \"load_ms_warm_median\": %.2f,\n",
           cold, median(warm, 3));
    if (argc > 6) {
        size_t e_len;
        float *expected = read_file(argv[6], &e_len);
        size_t n = rows < 20000 ? rows : 20000;
        double maxd = 0;
        if (expected && lp_model_predict_matrix(m, x, n, features, &opts, proba, chosen, &err) == LP_OK)
            for (size_t i = 0; i < n * k && i < e_len / 4; i++) maxd = fmax(maxd, fabs(proba[i] - expected[i]));
        printf(" \"check\": {\"rows\": %zu, \"max_abs_diff_vs_expected\": %.3g},\n", n, maxd);
        free(expected);
    }
    printf(" \"batches\": {");
    char *list = argv[4];
    int first = 1;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        size_t bs = (size_t)atol(tok);
        if (bs == 0 || bs > rows) continue;
        size_t off = 0;
        double rates[64], cpu[64], t0 = now_ms();
        for (int calls = 0; calls < 1 || now_ms() - t0 < 200; calls++) {
            lp_model_predict_matrix(m, x + off * features, bs, features, &opts, proba, chosen, &err);
            off = (off + bs) % (rows - bs + 1);
        }
        for (int r = 0; r < reps; r++) {
            long calls = 0;
            double c0 = cpu_ms(), el = 0;
            t0 = now_ms();
            while (calls < 1 || el < 300) {
                lp_model_predict_matrix(m, x + off * features, bs, features, &opts, proba, chosen, &err);
                off = (off + bs) % (rows - bs + 1);
                calls++;
                el = now_ms() - t0;
            }
            cpu[r] = (cpu_ms() - c0) / el;
            rates[r] = (double)calls * (double)bs / (el / 1000);
        }
        printf("%s\n  \"%zu\": {\"rows_per_s_median\": %.0f, \"cpu_per_wall_median\": %.2f}", first ? "" : ",", bs,
               median(rates, reps), median(cpu, reps));
        first = 0;
    }
    printf("\n }\n}\n");
    lp_model_destroy(m);
    free(proba);
    free(chosen);
    free(model_bytes);
    free(x);
    return 0;
}
