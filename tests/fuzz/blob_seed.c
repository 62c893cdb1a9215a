/* blob_seed.c — writes a model's blob (lp_model_serialize) without its
 * 8-byte magic: a seed for fuzz_model_blob, which puts the magic back.
 * Usage: blob-seed MODEL OUT.  Used by make_seeds.py only. */
#include <stdio.h>
#include <stdlib.h>

#include "localpredict.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: blob-seed MODEL OUT\n");
        return 1;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *bytes = malloc((size_t)n);
    if (!bytes || fread(bytes, 1, (size_t)n, f) != (size_t)n) return 1;
    fclose(f);
    lp_error err;
    lp_model *m = NULL;
    if (lp_model_load(bytes, (size_t)n, NULL, &m, &err) != LP_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 1;
    }
    const uint8_t *blob;
    size_t len;
    if (lp_model_serialize(m, &blob, &len, &err) != LP_OK) return 1;
    FILE *out = fopen(argv[2], "wb");
    if (!out || fwrite(blob + 8, 1, len - 8, out) != len - 8 || fclose(out) != 0) return 1;
    lp_model_destroy(m);
    free(bytes);
    return 0;
}
