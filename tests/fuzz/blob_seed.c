/* blob_seed.c — writes a model's blob (lp_model_serialize) without its
 * 8-byte magic: a seed for fuzz_model_blob, which puts the magic back.
 * Usage: blob-seed [--whole] MODEL OUT [PART...]
 *   --whole  keep the magic (a seed for fuzz_model_load / fuzz_predict_csv,
 *            e.g. an ensemble's LPENSEM1 blob)
 *   PART     a file the model names (an ensemble's members), handed in under
 *            its base name
 * Used by make_seeds.py only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localpredict.h"

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *bytes = malloc(n > 0 ? (size_t)n : 1);
    if (!bytes || fread(bytes, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(bytes);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return bytes;
}

int main(int argc, char **argv)
{
    int whole = argc > 1 && strcmp(argv[1], "--whole") == 0;
    argv += whole, argc -= whole;
    if (argc < 3) {
        fprintf(stderr, "usage: blob-seed [--whole] MODEL OUT [PART...]\n");
        return 1;
    }
    size_t n, n_parts = (size_t)argc - 3;
    uint8_t *bytes = read_all(argv[1], &n);
    lp_part *parts = calloc(n_parts + 1, sizeof *parts);
    if (!bytes || !parts) return 1;
    for (size_t i = 0; i < n_parts; i++) {
        const char *path = argv[3 + i], *slash = strrchr(path, '/');
        parts[i].name = slash ? slash + 1 : path;
        if (!(parts[i].bytes = read_all(path, &parts[i].len))) return 1;
    }
    lp_load_options lo = lp_load_options_default();
    lo.parts = parts;
    lo.n_parts = n_parts;
    lp_error err;
    lp_model *m = NULL;
    if (lp_model_load(bytes, n, &lo, &m, &err) != LP_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 1;
    }
    const uint8_t *blob;
    size_t len, skip = whole ? 0 : 8;
    if (lp_model_serialize(m, &blob, &len, &err) != LP_OK) return 1;
    FILE *out = fopen(argv[2], "wb");
    if (!out || fwrite(blob + skip, 1, len - skip, out) != len - skip || fclose(out) != 0) return 1;
    lp_model_destroy(m);
    for (size_t i = 0; i < n_parts; i++) free((void *)parts[i].bytes);
    free(parts);
    free(bytes);
    return 0;
}
