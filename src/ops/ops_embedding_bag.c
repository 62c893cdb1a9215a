/* ops_embedding_bag.c — torch's nn.EmbeddingBag (mode sum / mean / max,
 * with offsets) as torch.onnx writes it, run as one fused operator.
 *
 * torch.onnx (1.13, opset 13) exports EmbeddingBag(ids, offsets) as a Loop
 * over the bags: ids is one flat [T] tensor of every bag's tokens, offsets
 * [B] where each bag starts; iteration i slices ids[offsets[i] : ends[i]]
 * (ends = offsets[1:] then T), gathers those rows of the weight and reduces
 * them along axis 0.  This engine has no ragged tensors and runs no
 * control flow, so lp__embedding_bag_rewrite recognises exactly that Loop
 * (every node of its body and of the bounds it reads) and rewrites it into
 * an EmbeddingBag node (domain "localpredict") reading [weight, ids, mask]
 * where each row is one bag, padded: ids [N, L] and a mask [N, L] (1 on a
 * bag's tokens).  The graph inputs ids and offsets become [rows, L]; a text
 * model's manifest feeds ids the token ids and offsets the attention mask
 * ("preprocess.inputs": {"ids": ..., "attention_mask": "offsets"}), and
 * max_length binds L (formats/onnx_dims.h), a row's first L tokens making
 * its bag (truncating as the manifest says: choose L above the longest text
 * to keep every token, as torch's flat ids do).  Any other Loop is left as it
 * is and refused as an unsupported operator.
 *
 * An empty bag (an empty text) gives zeros in every mode, as torch does;
 * onnxruntime agrees for sum and mean, and gives -inf for max (NaN
 * probabilities after a Linear): there the engine follows torch. */
#include "graph.h"

#include <math.h>
#include <string.h>

#include "../core/error.h"

#define DOMAIN "localpredict"

enum { BAG_SUM, BAG_MEAN, BAG_MAX };

/* ---- recognising the Loop ------------------------------------------------------------- */

/* The node of g that outputs `name`, or NULL. */
static const lp__onnx_node *producer(const lp__onnx_model *g, const char *name)
{
    for (size_t i = 0; g && i < g->n_nodes; i++)
        for (size_t o = 0; o < g->nodes[i].n_outputs; o++)
            if (strcmp(g->nodes[i].outputs[o], name) == 0) return &g->nodes[i];
    return NULL;
}

static int is_op(const lp__onnx_node *n, const char *op, size_t n_inputs)
{
    return n && strcmp(n->op_type, op) == 0 && (!n->domain[0] || strcmp(n->domain, "ai.onnx") == 0) &&
           n->n_inputs >= n_inputs;
}

/* The one int64 (or bool) element of a constant named `name`: a Constant
 * node of body or om, or an initializer of om. */
static int const_int(const lp__onnx_model *om, const lp__onnx_model *body, const char *name, int64_t *v)
{
    const lp__onnx_tensor *t = NULL;
    const lp__onnx_node *n = producer(body, name);
    if (!n) n = producer(om, name);
    if (n) {
        const lp__onnx_attr *a = lp__onnx_attr_find(n, "value");
        if (!is_op(n, "Constant", 0) || !a || !a->t) return 0;
        t = a->t;
    }
    for (size_t i = 0; !n && i < om->n_initializers; i++)
        if (strcmp(om->initializers[i].name, name) == 0) t = &om->initializers[i];
    if (!t || t->count != 1) return 0;
    if (t->dtype == LP_ONNX_INT64) *v = ((const int64_t *)t->data)[0];
    else if (t->dtype == LP_ONNX_BOOL) *v = ((const uint8_t *)t->data)[0];
    else return 0;
    return 1;
}

static const lp__onnx_attr *int_attr(const lp__onnx_node *n, const char *name)
{
    const lp__onnx_attr *a = lp__onnx_attr_find(n, name);
    return a && a->type == LP_ONNX_ATTR_INT ? a : NULL;
}

/* Unsqueeze(x, axes = [0]) (attribute or, opset 13, a constant input); its x. */
static const char *unsqueezed0(const lp__onnx_model *om, const lp__onnx_model *body, const lp__onnx_node *n)
{
    if (!is_op(n, "Unsqueeze", 1)) return NULL;
    const lp__onnx_attr *a = lp__onnx_attr_find(n, "axes");
    int64_t axis;
    if (a && a->count == 1 && a->ints[0] == 0) return n->inputs[0];
    if (!a && n->n_inputs == 2 && const_int(om, body, n->inputs[1], &axis) && axis == 0) return n->inputs[0];
    return NULL;
}

/* Gather(data, index, axis 0); its data when index is `index`. */
static const char *gathered_at(const lp__onnx_node *n, const char *index)
{
    if (!is_op(n, "Gather", 2)) return NULL;
    const lp__onnx_attr *axis = int_attr(n, "axis");
    if ((axis && axis->i != 0) || strcmp(n->inputs[1], index) != 0) return NULL;
    return n->inputs[0];
}

/* The graph input of om named `name`, int64 of rank 1, or -1. */
static long flat_input(const lp__onnx_model *om, const char *name)
{
    for (size_t i = 0; i < om->n_inputs; i++)
        if (strcmp(om->inputs[i].name, name) == 0) {
            const lp__onnx_type *t = &om->inputs[i].type;
            return t->kind == LP_ONNX_KIND_TENSOR && t->elem == LP_ONNX_INT64 && t->rank == 1 ? (long)i : -1;
        }
    return -1;
}

typedef struct bag_match {
    long        ids, offsets;    /* graph inputs */
    const char *weight;
    int         mode;
} bag_match;

/* `starts` = Concat(offsets, Unsqueeze(Gather(Shape(ids), 0))) along axis 0. */
static int bounds_from(const lp__onnx_model *om, const char *starts, long ids, long *offsets)
{
    const lp__onnx_node *cat = producer(om, starts);
    const lp__onnx_attr *axis = cat ? int_attr(cat, "axis") : NULL;
    if (!is_op(cat, "Concat", 2) || cat->n_inputs != 2 || !axis || axis->i != 0) return 0;
    *offsets = flat_input(om, cat->inputs[0]);
    const char *count = unsqueezed0(om, NULL, producer(om, cat->inputs[1]));
    const lp__onnx_node *g = count ? producer(om, count) : NULL;
    int64_t at;
    if (!is_op(g, "Gather", 2) || !const_int(om, NULL, g->inputs[1], &at) || at != 0) return 0;
    const char *shape = gathered_at(g, g->inputs[1]);
    const lp__onnx_node *sh = shape ? producer(om, shape) : NULL;
    return *offsets >= 0 && is_op(sh, "Shape", 1) && !lp__onnx_attr_find(sh, "start") && !lp__onnx_attr_find(sh, "end") &&
           strcmp(sh->inputs[0], om->inputs[ids].name) == 0;
}

/* `ends` = Slice(starts, [1], [big], [0], [1]): the starts from the second on. */
static int ends_from(const lp__onnx_model *om, const char *ends, const char *starts)
{
    const lp__onnx_node *s = producer(om, ends);
    int64_t begin, end, axis = 0, step = 1;
    return is_op(s, "Slice", 3) && strcmp(s->inputs[0], starts) == 0 && const_int(om, NULL, s->inputs[1], &begin) &&
           begin == 1 && const_int(om, NULL, s->inputs[2], &end) && end >= INT32_MAX &&
           (s->n_inputs < 4 || const_int(om, NULL, s->inputs[3], &axis)) && axis == 0 &&
           (s->n_inputs < 5 || const_int(om, NULL, s->inputs[4], &step)) && step == 1;
}

/* The reduction of the body's scan output: ReduceSum / Mean / Max over axis
 * 0 without keepdims (axes as the attribute or a constant input). */
static int reduction(const lp__onnx_model *om, const lp__onnx_model *body, const lp__onnx_node *r, const char **x,
                     int *mode)
{
    static const char *const ops[] = {"ReduceSum", "ReduceMean", "ReduceMax"};
    *mode = -1;
    for (int k = 0; k < 3; k++)
        if (is_op(r, ops[k], 1)) *mode = k;
    if (*mode < 0) return 0;
    const lp__onnx_attr *keep = int_attr(r, "keepdims"), *axes = lp__onnx_attr_find(r, "axes");
    const lp__onnx_attr *noop = int_attr(r, "noop_with_empty_axes");
    int64_t axis;
    if (!keep || keep->i != 0 || (noop && noop->i != 0)) return 0;
    if (axes ? !(axes->count == 1 && axes->ints[0] == 0)
             : !(r->n_inputs == 2 && const_int(om, body, r->inputs[1], &axis) && axis == 0))
        return 0;
    *x = r->inputs[0];
    return 1;
}

/* How many nodes of om read `name`. */
static size_t readers(const lp__onnx_model *om, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < om->n_nodes; i++)
        for (size_t k = 0; k < om->nodes[i].n_inputs; k++)
            if (strcmp(om->nodes[i].inputs[k], name) == 0) {
                n++;
                break;
            }
    return n;
}

/* Whether `loop` is the EmbeddingBag pattern; fills m. */
static int match(const lp__onnx_model *om, const lp__onnx_node *loop, bag_match *m)
{
    const lp__onnx_attr *ba = lp__onnx_attr_find(loop, "body");
    const lp__onnx_model *body = ba ? ba->g : NULL;
    int64_t v;
    if (!body || loop->n_inputs != 2 || loop->n_outputs != 1 || body->n_inputs != 2 || body->n_outputs != 2 ||
        !const_int(om, NULL, loop->inputs[1], &v) || !v)
        return 0;
    const char *iter = body->inputs[0].name;
    /* the loop keeps going: its condition out is a constant true (Cast or Identity of one, or the condition in) */
    const lp__onnx_node *c = producer(body, body->outputs[0].name);
    if (!(c && (is_op(c, "Cast", 1) || is_op(c, "Identity", 1)) &&
          (strcmp(c->inputs[0], body->inputs[1].name) == 0 || (const_int(om, body, c->inputs[0], &v) && v))))
        return 0;
    /* scan out = Reduce(Gather(weight, Slice(ids, Unsqueeze(Gather(starts, i)), Unsqueeze(Gather(ends, i)), [0]))) */
    const char *x;
    if (!reduction(om, body, producer(body, body->outputs[1].name), &x, &m->mode)) return 0;
    const lp__onnx_node *emb = producer(body, x), *sl;
    if (!(m->weight = gathered_at(emb, emb ? emb->inputs[1] : "")) || !(sl = producer(body, emb->inputs[1])) ||
        !is_op(sl, "Slice", 3) || (m->ids = flat_input(om, sl->inputs[0])) < 0)
        return 0;
    int64_t axis = 0;
    if ((sl->n_inputs >= 4 && !(const_int(om, body, sl->inputs[3], &axis) && axis == 0)) || sl->n_inputs > 4)
        return 0;
    const char *a = unsqueezed0(om, body, producer(body, sl->inputs[1]));
    const char *b = unsqueezed0(om, body, producer(body, sl->inputs[2]));
    const char *starts = a ? gathered_at(producer(body, a), iter) : NULL;
    const char *ends = b ? gathered_at(producer(body, b), iter) : NULL;
    if (!starts || !ends || !bounds_from(om, starts, m->ids, &m->offsets) || !ends_from(om, ends, starts)) return 0;
    /* the trip count: the number of bags, Gather(Shape(ends or offsets), 0) */
    const lp__onnx_node *trip = producer(om, loop->inputs[0]), *sh;
    if (!is_op(trip, "Gather", 2) || !const_int(om, NULL, trip->inputs[1], &v) || v != 0 ||
        !(sh = producer(om, trip->inputs[0])) || !is_op(sh, "Shape", 1) ||
        (strcmp(sh->inputs[0], ends) != 0 && strcmp(sh->inputs[0], om->inputs[m->offsets].name) != 0))
        return 0;
    /* nothing else reads the flat ids, the offsets or the bounds: the rewrite
     * makes ids and offsets [rows, L], which only the fused node may see */
    int trip_from_ends = strcmp(sh->inputs[0], ends) == 0;
    if (readers(om, om->inputs[m->ids].name) != 1 || readers(om, om->inputs[m->offsets].name) != 2u - trip_from_ends ||
        readers(om, starts) != 1 || readers(om, ends) != (size_t)trip_from_ends || readers(om, loop->inputs[0]) != 1)
        return 0;
    /* the weight: an initializer [V, D] of float */
    for (size_t i = 0; i < om->n_initializers; i++)
        if (strcmp(om->initializers[i].name, m->weight) == 0)
            return om->initializers[i].dtype == LP_ONNX_FLOAT && om->initializers[i].rank == 2 &&
                   m->ids != m->offsets && body->n_nodes <= 16;
    return 0;
}

/* A graph input [T] made [rows, L]: L free and named, for the manifest to
 * bind (max_length, or "dims": {"embedding_bag_length": L}). */
static lp_status widen(lp__onnx_model *om, long i, lp_error *err)
{
    lp__onnx_type *t = &om->inputs[i].type;
    int64_t *dims = lp__arena_array(&om->arena, 2, sizeof *dims);
    const char **names = lp__arena_array(&om->arena, 2, sizeof *names);
    if (!dims || !names) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
    dims[0] = dims[1] = -1;
    names[0] = t->dim_names ? t->dim_names[0] : NULL;
    names[1] = "embedding_bag_length";
    t->rank = 2, t->dims = dims, t->dim_names = names;
    return LP_OK;
}

lp_status lp__embedding_bag_rewrite(lp__onnx_model *om, lp_error *err)
{
    for (size_t i = 0; i < om->n_nodes; i++) {
        lp__onnx_node *n = &om->nodes[i];
        bag_match m;
        if (!is_op(n, "Loop", 2) || !match(om, n, &m)) continue;
        const char **inputs = lp__arena_array(&om->arena, 3, sizeof *inputs);
        lp__onnx_attr *attrs = lp__arena_array(&om->arena, 1, sizeof *attrs);
        if (!inputs || !attrs) return lp__fail(err, LP_ERR_NOMEM, "out of memory");
        inputs[0] = m.weight, inputs[1] = om->inputs[m.ids].name, inputs[2] = om->inputs[m.offsets].name;
        attrs[0] = (lp__onnx_attr){.name = "mode", .type = LP_ONNX_ATTR_INT, .i = m.mode};
        n->op_type = "EmbeddingBag", n->domain = DOMAIN;
        n->inputs = inputs, n->n_inputs = 3;
        n->attrs = attrs, n->n_attrs = 1;
        lp_status s = widen(om, m.ids, err);
        if (s == LP_OK) s = widen(om, m.offsets, err);
        if (s != LP_OK) return s;
    }
    return LP_OK;
}

/* ---- the fused operator --------------------------------------------------------------- */

static lp_status build_bag(lp__graph *g, lp__op *op, const lp__onnx_node *node, lp_error *err)
{
    const lp__value *w = lp__op_input(g, op, 0, err), *ids = lp__op_input(g, op, 1, err), *mask = lp__op_input(g, op, 2, err);
    if (!w || !ids || !mask) return err->code;
    if (!w->is_const || w->dtype != LP_ONNX_FLOAT || w->shape.rank != 2)
        return lp__op_fail(op, err, LP_ERR_BAD_MODEL, "the weight is not a constant float [V, D]");
    if (ids->dtype != LP_ONNX_INT64 || mask->dtype != LP_ONNX_INT64 || ids->shape.rank != 2 || mask->shape.rank != 2 ||
        ids->shape.dims[0] != LP__BATCH || mask->shape.dims[0] != LP__BATCH || ids->shape.dims[1] != mask->shape.dims[1])
        return lp__op_fail(op, err, LP_ERR_UNSUPPORTED, "the bags are not int64 [rows, L] ids with a mask of the same "
                           "shape");
    op->iattr[0] = 0;   /* as Gather's axis: text_model.c checks the vocabulary against the weight's rows */
    op->iattr[1] = (int)lp__onnx_attr_find(node, "mode")->i;
    lp__shape shape = {2, {LP__BATCH, w->shape.dims[1]}};
    return lp__op_output(g, op, node, 0, LP_ONNX_FLOAT, &shape, err);
}

static void run_bag(const lp__run *r, const lp__op *op)
{
    const lp__value *w = &r->g->values[op->in[0]];
    size_t V = (size_t)w->shape.dims[0], D = (size_t)w->shape.dims[1];
    size_t L = (size_t)r->g->values[op->in[1]].shape.dims[1];
    const float *weight = lp__run_data(r, op->in[0]);
    const int64_t *ids = lp__run_data(r, op->in[1]), *mask = lp__run_data(r, op->in[2]);
    float *out = lp__run_data(r, op->out[0]);
    int mode = op->iattr[1];
    for (size_t row = 0; row < r->n_rows; row++) {
        float *o = out + row * D;
        size_t n = 0;
        for (size_t j = 0; j < L; j++) {
            if (!mask[row * L + j]) continue;
            int64_t id = ids[row * L + j];
            if (id < 0) id += (int64_t)V;
            /* an id outside the table reads zeros, as Gather does here (text_model.c refuses such a vocabulary) */
            const float *e = id >= 0 && (size_t)id < V ? weight + (size_t)id * D : NULL;
            for (size_t k = 0; k < D; k++) {
                float x = e ? e[k] : 0.0f;
                o[k] = n == 0 ? x : mode == BAG_MAX ? (x > o[k] || o[k] != o[k] ? x : o[k]) : o[k] + x;
            }
            n++;
        }
        if (n == 0) memset(o, 0, D * sizeof *o);   /* an empty bag: torch's zeros */
        else if (mode == BAG_MEAN)
            for (size_t k = 0; k < D; k++) o[k] /= (float)n;
    }
}

const lp__op_kind lp__ops_fused[] = {
    {"EmbeddingBag", DOMAIN, build_bag, run_bag},
};
const size_t lp__n_ops_fused = sizeof lp__ops_fused / sizeof *lp__ops_fused;
