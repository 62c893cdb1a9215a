/* outputs.c — see outputs.h. */
#include "outputs.h"

#include "../formats/ensemble.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/lp_math.h"
#include "../ops/graph.h"

/* Decision values as 0/1 (LP__LINK_DECISION); a row holding a NaN value
 * decides nothing and stays NaN. */
static void decide(const float *z, size_t g_n, int multilabel, float *p)
{
    size_t best = 0;
    int nan_row = 0;
    for (size_t g = 0; g < g_n; g++) {
        nan_row |= z[g] != z[g];
        if (z[g] > z[best]) best = g;
    }
    if (g_n == 1) {   /* binary from one value: positive decides class 1 */
        p[1] = nan_row ? NAN : z[0] > 0 ? 1.0f : 0.0f;
        p[0] = nan_row ? NAN : 1.0f - p[1];
        return;
    }
    for (size_t g = 0; g < g_n; g++)
        p[g] = nan_row ? NAN : multilabel ? (z[g] > 0 ? 1.0f : 0.0f) : (g == best ? 1.0f : 0.0f);
}

void lp__outputs_from_margins(const lp_model *m, float *margins, size_t n_rows, float *proba)
{
    size_t g_n = m->n_groups, k_n = m->n_outputs;
    for (size_t r = 0; r < n_rows; r++) {
        float *z = margins + r * g_n;
        float *p = proba + r * k_n;
        if (m->average_divisor)
            for (size_t g = 0; g < g_n; g++) z[g] /= m->average_divisor;
        if (m->base_after)
            for (size_t g = 0; g < g_n; g++) z[g] += m->base_after[g];
        switch (m->link) {
        case LP__LINK_SOFTMAX:
        case LP__LINK_SOFTMAX_ZERO:
            lp__softmax(z, g_n, m->link == LP__LINK_SOFTMAX_ZERO, p);
            break;
        case LP__LINK_RAW:
            memcpy(p, z, g_n * sizeof *p);
            break;
        case LP__LINK_PROBIT:
            for (size_t g = 0; g < g_n; g++) p[g] = lp__probit(z[g]);
            break;
        case LP__LINK_COMPLEMENT:
            p[0] = 1.0f - z[0];
            p[1] = z[0];
            break;
        case LP__LINK_NEGATE:
            p[0] = -z[0];
            p[1] = z[0];
            break;
        case LP__LINK_SIGMOID:
        case LP__LINK_HINGE: {
            if (g_n == 1) {
                float pos = m->link == LP__LINK_SIGMOID ? lp__sigmoid(z[0]) : (z[0] > 0 ? 1.0f : 0.0f);
                p[0] = 1.0f - pos;
                p[1] = pos;
            } else {
                for (size_t g = 0; g < g_n; g++)
                    p[g] = m->link == LP__LINK_SIGMOID ? lp__sigmoid(z[g]) : (z[g] > 0 ? 1.0f : 0.0f);
            }
            break;
        }
        case LP__LINK_EXP:
            p[0] = (float)lp__exp((double)z[0]);
            break;
        case LP__LINK_LOGITS:   /* read as the task asks */
            if (g_n == 1 && k_n == 2) {   /* binary from one logit */
                p[1] = lp__sigmoid(z[0]);
                p[0] = 1.0f - p[1];
            } else if (m->task == LP_TASK_MULTILABEL) {
                for (size_t g = 0; g < g_n; g++) p[g] = lp__sigmoid(z[g]);
            } else if (g_n == 1) {   /* regression */
                p[0] = z[0];
            } else {
                lp__softmax(z, g_n, 0, p);
            }
            break;
        case LP__LINK_DECISION:
            decide(z, g_n, m->task == LP_TASK_MULTILABEL, p);
            break;
        case LP__LINK_IDENTITY:
            p[0] = z[0];
            break;
        }
    }
}

void lp__outputs_choose(const lp_model *m, const float *proba, size_t n_rows, double threshold,
                        uint8_t *chosen)
{
    size_t k_n = m->n_outputs;
    int override = threshold == threshold;
    memset(chosen, 0, n_rows * k_n);
    for (size_t r = 0; r < n_rows; r++) {
        const float *p = proba + r * k_n;
        uint8_t *c = chosen + r * k_n;
        int nan_row = 0;
        for (size_t k = 0; k < k_n; k++) nan_row |= p[k] != p[k];
        if (nan_row) continue;
        switch (m->task) {
        case LP_TASK_MULTICLASS: {
            size_t best = 0;
            for (size_t k = 1; k < k_n; k++)
                if (p[k] > p[best]) best = k;
            c[best] = 1;
            break;
        }
        case LP_TASK_BINARY: {
            double t = override ? threshold : m->thresholds[1];
            c[p[1] > t ? 1 : 0] = 1;
            break;
        }
        case LP_TASK_MULTILABEL:
            for (size_t k = 0; k < k_n; k++) c[k] = p[k] > (override ? threshold : m->thresholds[k]);
            break;
        default:
            break;
        }
    }
}

lp_status lp__predict_batch(const lp_model *m, const float *x, size_t n_rows, double threshold,
                            float *margins, float *proba, uint8_t *chosen, lp_error *err)
{
    if (m->ensemble) return lp__ensemble_predict_batch(m, x, n_rows, threshold, margins, proba, chosen, err);
    size_t g_n = m->n_groups;
#ifndef LP_NO_ONNX
    if (m->graph && m->forest.n_trees) {   /* trees on features the graph computes */
        size_t width = m->graph->n_outputs;
        float *features = n_rows <= SIZE_MAX / sizeof(float) / (width ? width : 1)
                              ? malloc(n_rows * width * sizeof *features + 1) : NULL;
        if (!features) return lp__fail(err, LP_ERR_NOMEM, "out of memory running the model on %zu rows", n_rows);
        lp_status s = lp__graph_run(m->graph, x, n_rows, features, err);
        if (s != LP_OK) {
            free(features);
            return s;
        }
        for (size_t r = 0; r < n_rows; r++) memcpy(margins + r * g_n, m->base_margin, g_n * sizeof *margins);
        lp_kern_forest_add(&m->forest, features, n_rows, width, margins, g_n);
        free(features);
    } else if (m->graph) {
        lp_status s = lp__graph_run(m->graph, x, n_rows, margins, err);
        if (s != LP_OK) return s;
    } else
#endif
    {
        for (size_t r = 0; r < n_rows; r++) memcpy(margins + r * g_n, m->base_margin, g_n * sizeof *margins);
        size_t stride = m->n_features ? m->n_features : 1;
        lp_kern_forest_add(&m->forest, x, n_rows, stride, margins, g_n);
    }
    lp__outputs_from_margins(m, margins, n_rows, proba);
    if (chosen) lp__outputs_choose(m, proba, n_rows, threshold, chosen);
    return LP_OK;
}
