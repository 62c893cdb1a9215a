/* onnx_scores.c — see onnx_scores.h. */
#include "onnx_scores.h"

#include <string.h>

static int is_default(const lp__onnx_node *n) { return n->domain[0] == 0 || strcmp(n->domain, "ai.onnx") == 0; }

static int is_op(const lp__onnx_node *n, const char *op_type)
{
    return is_default(n) && strcmp(n->op_type, op_type) == 0;
}

/* Operators that move or retype values without changing them. */
static int passes_values(const lp__onnx_node *n)
{
    static const char *const ops[] = {"Identity", "Cast", "Flatten", "Reshape", "Squeeze", "Unsqueeze"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (is_op(n, ops[i])) return n->n_inputs >= 1;
    return 0;
}

/* The node computing `name`, looking through passes_values; NULL for an
 * input or an initializer.  The walk is bounded by the node count, so a
 * cyclic file ends it. */
static const lp__onnx_node *producer(const lp__onnx_model *om, const char *name)
{
    for (size_t steps = 0; name && steps <= om->n_nodes; steps++) {
        const lp__onnx_node *found = NULL;
        for (size_t i = 0; i < om->n_nodes && !found; i++)
            for (size_t o = 0; o < om->nodes[i].n_outputs && !found; o++)
                if (strcmp(om->nodes[i].outputs[o], name) == 0) found = &om->nodes[i];
        if (!found || !passes_values(found)) return found;
        name = found->inputs[0];
    }
    return NULL;
}

static int is_linear(const lp__onnx_node *n) { return n && (is_op(n, "Gemm") || is_op(n, "MatMul")); }

static int is_ml_op(const lp__onnx_node *n, const char *op_type)
{
    return n && strcmp(n->domain, "ai.onnx.ml") == 0 && strcmp(n->op_type, op_type) == 0;
}

/* A LinearClassifier whose scores go out untransformed (NONE is also the
 * default). */
static int gives_decision_values(const lp__onnx_node *n)
{
    if (!is_ml_op(n, "LinearClassifier")) return 0;
    const lp__onnx_attr *t = lp__onnx_attr_find(n, "post_transform");
    return !t || (t->type == LP_ONNX_ATTR_STRING && t->s.len == 4 && memcmp(t->s.data, "NONE", 4) == 0);
}

lp__onnx_scores lp__onnx_scores_of(const lp__onnx_model *om, const char *name)
{
    const lp__onnx_node *n = producer(om, name);
    if (!n) return LP__SCORES_PROBABILITIES;
    if (is_op(n, "LogSoftmax")) return LP__SCORES_LOG_PROBABILITIES;
    if (is_op(n, "Sigmoid")) return LP__SCORES_SIGMOID;
    if (is_linear(n)) return LP__SCORES_LOGITS;
    if (gives_decision_values(n) ||
        (is_ml_op(n, "ArrayFeatureExtractor") && n->n_inputs == 2 && gives_decision_values(producer(om, n->inputs[0]))))
        return LP__SCORES_DECISION;
    /* torch's nn.Linear on a 3-D value, and skl2onnx's linear models before
     * their Softmax: MatMul, then Add of the bias */
    if (is_op(n, "Add") && n->n_inputs == 2 &&
        (is_linear(producer(om, n->inputs[0])) || is_linear(producer(om, n->inputs[1]))))
        return LP__SCORES_LOGITS;
    return LP__SCORES_PROBABILITIES;
}

const char *lp__onnx_scores_output(const lp__onnx_model *om)
{
    const char *best = NULL;
    int best_rank = -1;
    for (size_t i = 0; i < om->n_outputs; i++) {
        const char *name = om->outputs[i].name;
        const lp__onnx_type *t = &om->outputs[i].type;
        for (size_t j = 0; j < om->n_nodes; j++) {
            const lp__onnx_node *n = &om->nodes[j];
            if (strcmp(n->op_type, "ZipMap") == 0 && n->n_outputs == 1 && strcmp(n->outputs[0], name) == 0 &&
                n->n_inputs == 1)
                return n->inputs[0];
        }
        if (t->kind != LP_ONNX_KIND_TENSOR || (t->elem != LP_ONNX_FLOAT && t->elem != LP_ONNX_DOUBLE)) continue;
        lp__onnx_scores holds = lp__onnx_scores_of(om, name);
        int rank = (strstr(name, "prob") ? 4 : 0) +
                   (holds == LP__SCORES_PROBABILITIES || holds == LP__SCORES_SIGMOID ? 2 : 0) +
                   (t->elem == LP_ONNX_FLOAT);
        if (rank > best_rank) best = name, best_rank = rank;
    }
    return best;
}
