/* parallel.c — see parallel.h.
 *
 * The reading thread reads the input, cuts slices (split_* below: the rules
 * of wasm/csv-split.mjs, with memchr), counts each slice's line ends to give
 * the next slice its first line, and queues the slice.  Worker threads take
 * slices in order and predict each with a fresh lp_job (the file's header
 * given, write_header only for the first slice).  Quotes open a field after
 * the delimiter: until the header has ended, after any of , ; TAB | (as
 * lp_csv_detect_delimiter scans the header), then after the delimiter given
 * or detected from the header (issue 9).  The reading thread writes
 * finished slices in order; at most `window` slices are in flight, so memory
 * stays bounded.  When the oldest slice failed, its error is the run's: every
 * slice before it succeeded, so it is the first error in file order.
 */
#define _POSIX_C_SOURCE 200809L
#include "parallel.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { READ_BYTES = 1 << 20, SLICES_PER_THREAD = 4 };

/* ---- cutting at record boundaries ---- */
typedef struct split {
    uint8_t *buf;              /* the current slice's bytes so far */
    size_t   len, cap;
    size_t   pos;              /* bytes of buf scanned */
    int      in_quotes, quote_pending;
    uint8_t  last_before;      /* the byte before buf[0] */
    int      at_file_start;    /* buf[0] is the file's first byte */
    size_t   data_start;       /* after a UTF-8 BOM, when at_file_start */
    long long first_record;    /* offset in buf of the header's first byte; -1 = not seen */
    uint8_t *header;           /* the file's bytes up to the header's line end */
    size_t   header_len;
    int      have_header;
    size_t   slice_bytes;
    int      delim;            /* the field delimiter once the header is known; 0 = any of , ; TAB | */
} split;

/* The first cut in c[from, end) (the offset after a line end), or 0.  A CR as
 * the last byte read is not judged yet (a CRLF is never split). */
static size_t line_end(const uint8_t *c, size_t n, size_t from, size_t end)
{
    const uint8_t *lf = memchr(c + from, '\n', end - from);
    size_t lf_at = lf ? (size_t)(lf - c) : end;
    const uint8_t *cr = memchr(c + from, '\r', lf_at - from);
    if (cr) {
        size_t at = (size_t)(cr - c);
        if (at + 1 < n) return c[at + 1] == '\n' ? at + 2 : at + 1;
    }
    return lf ? lf_at + 1 : 0;
}

/* Where a line end may end the current slice (offset in buf); SIZE_MAX = not yet. */
static size_t want_from(const split *s)
{
    if (!s->have_header) return s->first_record < 0 ? SIZE_MAX : (size_t)s->first_record;
    return s->slice_bytes - 1;
}

/* Scans buf from pos; returns the next cut (> 0), or 0 when everything read is scanned. */
static size_t split_scan(split *s)
{
    const uint8_t *c = s->buf;
    size_t n = s->len;
    while (s->pos < n) {
        size_t i = s->pos;
        if (s->quote_pending) {
            s->quote_pending = 0;
            if (c[i] == '"') { /* "" inside quotes */
                s->pos = i + 1;
                continue;
            }
            s->in_quotes = 0;
        }
        if (s->in_quotes) {
            const uint8_t *q = memchr(c + i, '"', n - i);
            if (!q) {
                s->pos = n;
                break;
            }
            size_t qi = (size_t)(q - c);
            if (qi + 1 >= n) {
                s->quote_pending = 1;
                s->pos = n;
                break;
            }
            if (c[qi + 1] == '"') {
                s->pos = qi + 2;
            } else {
                s->in_quotes = 0;
                s->pos = qi + 1;
            }
            continue;
        }
        /* Outside quotes up to the next quote: every line end here is a record boundary. */
        const uint8_t *q = memchr(c + i, '"', n - i);
        size_t end = q ? (size_t)(q - c) : n;
        if (s->first_record < 0) {
            size_t p = i;
            if (s->at_file_start && p < s->data_start) p = s->data_start;
            for (; p < n; p++)
                if (c[p] != '\n' && c[p] != '\r') {
                    s->first_record = (long long)p;
                    break;
                }
        }
        size_t want = want_from(s);
        if (want < end) {
            size_t at = line_end(c, n, want > i ? want : i, end);
            if (at) {
                s->pos = at;
                return at;
            }
        }
        if (!q) {
            s->pos = n;
            break;
        }
        uint8_t prev = end > 0 ? c[end - 1] : s->last_before;
        int after_delim = s->delim ? prev == s->delim : (prev == ',' || prev == ';' || prev == '\t' || prev == '|');
        int field_start = (s->at_file_start && end == s->data_start) || after_delim || prev == '\n' || prev == '\r';
        if (field_start) s->in_quotes = 1;
        s->pos = end + 1;
    }
    return 0;
}

/* Gives buf[0, at) away (*out, ownership passes) and keeps the rest as the new slice. */
static int split_take(split *s, size_t at, uint8_t **out)
{
    size_t rest = s->len - at;
    size_t cap = rest + READ_BYTES;
    uint8_t *next = malloc(cap);
    if (!next) return -1;
    memcpy(next, s->buf + at, rest);
    s->last_before = s->buf[at - 1];
    *out = s->buf;
    s->buf = next;
    s->len = rest;
    s->cap = cap;
    s->pos -= at;
    s->at_file_start = 0;
    return 0;
}

static uint64_t count_line_ends(const uint8_t *p, size_t n)
{
    uint64_t lines = 0;
    for (const uint8_t *q = p, *end = p + n; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++) lines++;
    for (const uint8_t *q = p, *end = p + n; (q = memchr(q, '\r', (size_t)(end - q))) != NULL; q++)
        if (q + 1 == end || q[1] != '\n') lines++;
    return lines;
}

/* ---- the pool ---- */
typedef struct slice {
    uint8_t  *bytes;
    size_t    len;
    uint64_t  index, first_line;
    int       done;
    lp_status status;
    lp_error  err;
    lp_job   *job;          /* holds the output until it is written */
} slice;

typedef struct pool {
    pthread_mutex_t  mu;
    pthread_cond_t   work, finished;
    slice          **ring;      /* slice i at ring[i % window] */
    size_t           window;
    uint64_t         added, taken, written;
    int              stop;
    const lp_model  *model;
    lp_job_options   base;
    const split     *split;     /* header, once known (set before slice 1 is added) */
} pool;

static void predict_slice(pool *p, slice *sl)
{
    lp_job_options o = p->base;
    if (sl->index > 0) {
        o.header = (const char *)p->split->header;
        o.header_len = p->split->header_len;
        o.first_line = sl->first_line;
        o.write_header = 0;
    }
    sl->status = lp_job_create(p->model, &o, &sl->job, &sl->err);
    if (sl->status == LP_OK) sl->status = lp_job_push(sl->job, sl->bytes, sl->len, &sl->err);
    if (sl->status == LP_OK) sl->status = lp_job_finish(sl->job, &sl->err);
    free(sl->bytes);
    sl->bytes = NULL;
}

static void *worker(void *arg)
{
    pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->taken == p->added) pthread_cond_wait(&p->work, &p->mu);
        if (p->stop) break;
        slice *sl = p->ring[p->taken++ % p->window];
        pthread_mutex_unlock(&p->mu);
        predict_slice(p, sl);
        pthread_mutex_lock(&p->mu);
        sl->done = 1;
        pthread_cond_broadcast(&p->finished);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void free_slice(slice *sl)
{
    if (!sl) return;
    lp_job_destroy(sl->job);
    free(sl->bytes);
    free(sl);
}

/* Waits up to 100 ms for a slice to finish (so that a cancel is seen). */
static void wait_finished(pool *p)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->finished, &p->mu, &ts);
}

typedef struct run {
    pool              *p;
    FILE              *out;
    volatile const sig_atomic_t *cancel;
    unsigned long long rows;
    lp_error          *err;
    int               *sys_errno;
    lp_par_skipped    *skipped;
} run;

/* Writes finished slices in order until at most `until` are in flight (0: all
 * written).  Called with the lock held. */
static lp_par_status drain(run *r, uint64_t until)
{
    pool *p = r->p;
    while (p->added - p->written > until) {
        if (*r->cancel) return LP_PAR_CANCELLED;
        slice *sl = p->ring[p->written % p->window];
        if (!sl->done) {
            wait_finished(p);
            continue;
        }
        if (sl->status != LP_OK) {
            *r->err = sl->err;
            return LP_PAR_ENGINE;
        }
        p->ring[p->written % p->window] = NULL;
        p->written++;
        pthread_mutex_unlock(&p->mu);
        const uint8_t *o = lp_job_output(sl->job);
        size_t n = lp_job_output_len(sl->job);
        int bad = n && fwrite(o, 1, n, r->out) != n;
        if (bad) *r->sys_errno = errno;
        r->rows += lp_job_rows(sl->job);
        /* Slices are written in file order, so their skipped lines are too. */
        lp_par_skipped *sk = r->skipped;
        for (size_t i = 0; sk->n_lines < LP_SKIPPED_LINES_KEPT && lp_job_skipped_line(sl->job, i); i++)
            sk->lines[sk->n_lines++] = lp_job_skipped_line(sl->job, i);
        sk->count += lp_job_skipped(sl->job);
        free_slice(sl);
        pthread_mutex_lock(&p->mu);
        if (bad) return LP_PAR_WRITE;
    }
    return LP_PAR_OK;
}

/* Queues bytes[0, len) as the next slice (taking ownership), first waiting for room. */
static lp_par_status add_slice(run *r, uint8_t *bytes, size_t len, uint64_t first_line)
{
    pool *p = r->p;
    slice *sl = calloc(1, sizeof *sl);
    if (!sl) {
        free(bytes);
        return LP_PAR_NOMEM;
    }
    sl->bytes = bytes;
    sl->len = len;
    sl->first_line = first_line;
    pthread_mutex_lock(&p->mu);
    lp_par_status st = drain(r, p->window - 1);
    if (st == LP_PAR_OK) {
        sl->index = p->added;
        p->ring[p->added++ % p->window] = sl;
        pthread_cond_signal(&p->work);
    } else {
        free_slice(sl);
    }
    pthread_mutex_unlock(&p->mu);
    return st;
}

lp_par_status lp_cli_predict_parallel(const lp_model *model, const lp_job_options *jo, int jobs,
                                      size_t slice_bytes, FILE *in, FILE *out,
                                      volatile const sig_atomic_t *cancel, unsigned long long *rows,
                                      lp_error *err, int *sys_errno, lp_par_skipped *skipped)
{
    split s = {0};
    s.first_record = -1;
    s.at_file_start = 1;
    s.last_before = '\n';
    s.slice_bytes = slice_bytes ? slice_bytes : 1;
    pool p = {0};
    p.model = model;
    p.base = *jo;
    p.base.header = NULL;
    p.base.first_line = 1;
    p.base.write_header = 1;
    p.split = &s;
    p.window = (size_t)jobs * SLICES_PER_THREAD;
    p.ring = calloc(p.window, sizeof *p.ring);
    pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
    s.cap = 2 * (size_t)READ_BYTES;
    s.buf = malloc(s.cap);
    if (!p.ring || !threads || !s.buf) {
        free(p.ring);
        free(threads);
        free(s.buf);
        return LP_PAR_NOMEM;
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.work, NULL);
    pthread_cond_init(&p.finished, NULL);
    int started = 0;
    while (started < jobs && pthread_create(&threads[started], NULL, worker, &p) == 0) started++;

    lp_par_skipped no_skipped;
    memset(&no_skipped, 0, sizeof no_skipped);
    run r = {&p, out, cancel, 0, err, sys_errno, skipped ? skipped : &no_skipped};
    lp_par_status st = started ? LP_PAR_OK : LP_PAR_THREADS;
    uint64_t line = 1;
    int first_read = 1;
    while (st == LP_PAR_OK) {
        if (s.cap - s.len < READ_BYTES) {
            size_t cap = s.len + 2 * (size_t)READ_BYTES;
            uint8_t *b = realloc(s.buf, cap);
            if (!b) {
                st = LP_PAR_NOMEM;
                break;
            }
            s.buf = b;
            s.cap = cap;
        }
        size_t n = fread(s.buf + s.len, 1, READ_BYTES, in);
        if (*cancel) {
            st = LP_PAR_CANCELLED;
            break;
        }
        if (n == 0 && ferror(in)) {
            *sys_errno = errno;
            st = LP_PAR_READ;
            break;
        }
        s.len += n;
        if (first_read) {
            first_read = 0;
            s.data_start = s.len >= 3 && memcmp(s.buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        }
        size_t at;
        while (st == LP_PAR_OK && (at = split_scan(&s)) != 0) {
            if (!s.have_header) {
                /* The header record has ended; the first slice goes on. */
                s.header = malloc(at);
                if (!s.header) {
                    st = LP_PAR_NOMEM;
                    break;
                }
                memcpy(s.header, s.buf, at);
                s.header_len = at;
                s.have_header = 1;
                s.delim = jo->delimiter ? jo->delimiter
                                        : lp_csv_detect_delimiter(s.header + s.data_start, at - s.data_start);
                continue;
            }
            uint8_t *bytes;
            if (split_take(&s, at, &bytes) != 0) {
                st = LP_PAR_NOMEM;
                break;
            }
            uint64_t first = line;
            line += count_line_ends(bytes, at);
            st = add_slice(&r, bytes, at, first);
        }
        if (n == 0) break; /* end of input */
    }
    if (st == LP_PAR_OK && s.len) {
        st = add_slice(&r, s.buf, s.len, line);
        s.buf = NULL;
    }
    pthread_mutex_lock(&p.mu);
    if (st == LP_PAR_OK) st = drain(&r, 0);
    p.stop = 1;
    pthread_cond_broadcast(&p.work);
    pthread_mutex_unlock(&p.mu);
    for (int t = 0; t < started; t++) pthread_join(threads[t], NULL);
    for (size_t i = 0; i < p.window; i++) free_slice(p.ring[i]);
    pthread_cond_destroy(&p.finished);
    pthread_cond_destroy(&p.work);
    pthread_mutex_destroy(&p.mu);
    free(p.ring);
    free(threads);
    free(s.buf);
    free(s.header);
    *rows = r.rows;
    return st;
}
