/* parallel.h — the native CLI's --jobs: one CSV predicted on several threads.
 *
 * The input is cut into slices at record boundaries (quote-aware, exactly as
 * the engine's reader decides; the same rules as wasm/csv-split.mjs), each
 * slice is predicted by its own lp_job on a worker thread (the model is
 * immutable and shared), and the outputs are written in input order: byte for
 * byte the output of one job.  The first error in file order is reported, as
 * one job reports it (slices carry their physical first line).
 */
#ifndef LP_CLI_PARALLEL_H
#define LP_CLI_PARALLEL_H

#include <signal.h>
#include <stdio.h>

#include "localpredict.h"

typedef enum {
    LP_PAR_OK = 0,
    LP_PAR_ENGINE,     /* *err says what (a bad record, header, ...) */
    LP_PAR_READ,       /* reading `in` failed: errno in *sys_errno */
    LP_PAR_WRITE,      /* writing `out` failed: errno in *sys_errno */
    LP_PAR_NOMEM,
    LP_PAR_CANCELLED,  /* *cancel became non-zero */
    LP_PAR_THREADS     /* no thread could be started: the caller runs one job instead */
} lp_par_status;

/* Rows skipped by on_error skip over all slices: the count and the physical
 * lines of the first LP_SKIPPED_LINES_KEPT, in file order. */
typedef struct lp_par_skipped {
    unsigned long long count;
    unsigned long long lines[LP_SKIPPED_LINES_KEPT];
    size_t             n_lines;
} lp_par_skipped;

/* Predicts `in` with `jobs` threads.  `jo` is the job options of the whole
 * run (threshold, kept columns); header, first_line and write_header are set
 * per slice.  `slice_bytes` is the size a slice grows to before it is cut at
 * the next record boundary.  *rows receives the rows predicted. */
lp_par_status lp_cli_predict_parallel(const lp_model *model, const lp_job_options *jo, int jobs,
                                      size_t slice_bytes, FILE *in, FILE *out,
                                      volatile const sig_atomic_t *cancel, unsigned long long *rows,
                                      lp_error *err, int *sys_errno, lp_par_skipped *skipped);

#endif
