/* onnx_scores.c — see onnx_scores.h. */
#include "onnx_scores.h"

#include <string.h>

static int is_op(const lp__onnx_node *n, const char *op_type)
{
    return lp__onnx_is_default(n) && strcmp(n->op_type, op_type) == 0;
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

/* skl2onnx's binary LinearSVC: ArrayFeatureExtractor of column 1 (the
 * positive class's decision value) of a two-class LinearClassifier. */
static int positive_decision_column(const lp__onnx_model *om, const lp__onnx_node *n)
{
    if (!is_ml_op(n, "ArrayFeatureExtractor") || n->n_inputs != 2) return 0;
    const lp__onnx_node *lc = producer(om, n->inputs[0]);
    const lp__onnx_tensor *index = lp__onnx_constant(om, n->inputs[1]);
    const lp__onnx_attr *ints = lc ? lp__onnx_attr_find(lc, "classlabels_ints") : NULL;
    const lp__onnx_attr *strs = lc ? lp__onnx_attr_find(lc, "classlabels_strings") : NULL;
    size_t classes = ints ? ints->count : strs ? strs->count : 0;
    return gives_decision_values(lc) && classes == 2 && index && index->dtype == LP_ONNX_INT64 &&
           index->count == 1 && ((const int64_t *)index->data)[0] == 1;
}

static lp__onnx_scores scores_of(const lp__onnx_model *om, const char *name, int depth)
{
    const lp__onnx_node *n = producer(om, name);
    if (!n || depth > 8) return LP__SCORES_PROBABILITIES;
    if (is_op(n, "LogSoftmax")) return LP__SCORES_LOG_PROBABILITIES;
    /* torch.log(torch.softmax(z)) */
    if (is_op(n, "Log") && n->n_inputs == 1 && producer(om, n->inputs[0]) && is_op(producer(om, n->inputs[0]), "Softmax"))
        return LP__SCORES_LOG_PROBABILITIES;
    if (is_op(n, "Sigmoid")) return LP__SCORES_SIGMOID;
    if (is_linear(n)) return LP__SCORES_LOGITS;
    if (gives_decision_values(n) || positive_decision_column(om, n)) return LP__SCORES_DECISION;
    if (n->n_inputs != 2) return LP__SCORES_PROBABILITIES;
    /* torch's nn.Linear on a 3-D value, and skl2onnx's linear models before
     * their Softmax: MatMul, then Add of the bias */
    if (is_op(n, "Add") && (is_linear(producer(om, n->inputs[0])) || is_linear(producer(om, n->inputs[1]))))
        return LP__SCORES_LOGITS;
    /* logits scaled by a constant (a temperature) are still logits */
    for (int side = 0; side < 2 && (is_op(n, "Div") || is_op(n, "Mul")); side++)
        if (lp__onnx_constant(om, n->inputs[1 - side]) && (side == 0 || is_op(n, "Mul")) &&
            scores_of(om, n->inputs[side], depth + 1) == LP__SCORES_LOGITS)
            return LP__SCORES_LOGITS;
    return LP__SCORES_PROBABILITIES;
}

lp__onnx_scores lp__onnx_scores_of(const lp__onnx_model *om, const char *name)
{
    return scores_of(om, name, 0);
}

/* How surely an output holds the classifier's scores: a Softmax or Sigmoid
 * computing it (2) over logits, log-probabilities and decision values (1)
 * over anything else (0: an embedding, a hidden layer). */
static int scores_rank(const lp__onnx_model *om, const char *name)
{
    lp__onnx_scores holds = lp__onnx_scores_of(om, name);
    const lp__onnx_node *n = producer(om, name);
    if (holds == LP__SCORES_SIGMOID || (n && is_op(n, "Softmax"))) return 2;
    return holds == LP__SCORES_PROBABILITIES ? 0 : 1;
}

/* Whether `name` holds "prob" in any case ("probabilities", "Probs"). */
static int names_probabilities(const char *name)
{
    for (const char *c = name; *c; c++)
        if ((c[0] | 0x20) == 'p' && c[1] && (c[1] | 0x20) == 'r' && c[2] && (c[2] | 0x20) == 'o' && c[3] &&
            (c[3] | 0x20) == 'b')
            return 1;
    return 0;
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
        int rank = names_probabilities(name) * 8 + scores_rank(om, name) * 2 + (t->elem == LP_ONNX_FLOAT);
        if (rank > best_rank) best = name, best_rank = rank;
    }
    return best;
}
