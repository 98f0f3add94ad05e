/* AVL tree of the filters of one (layer, sublayer) slot, in arbitration order:
   effective weight descending, then filter id ascending (the documented-nowhere tie-break [I]). */
#include "sim_internal.h"

/* Negative when a comes before b. */
static int order(const sim_filter *a, const sim_filter *b)
{
    if (a->effective_weight != b->effective_weight)
        return a->effective_weight > b->effective_weight ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return 0;
}

static int height(const sim_filter *n) { return n == NULL ? 0 : n->height; }

static void update(sim_filter *n)
{
    int l = height(n->left), r = height(n->right);
    n->height = (uint8_t)((l > r ? l : r) + 1);
}

static sim_filter *rotate_right(sim_filter *n)
{
    sim_filter *l = n->left;
    n->left = l->right;
    l->right = n;
    update(n);
    update(l);
    return l;
}

static sim_filter *rotate_left(sim_filter *n)
{
    sim_filter *r = n->right;
    n->right = r->left;
    r->left = n;
    update(n);
    update(r);
    return r;
}

static sim_filter *rebalance(sim_filter *n)
{
    update(n);
    int balance = height(n->left) - height(n->right);
    if (balance > 1) {
        if (height(n->left->left) < height(n->left->right))
            n->left = rotate_left(n->left);
        return rotate_right(n);
    }
    if (balance < -1) {
        if (height(n->right->right) < height(n->right->left))
            n->right = rotate_right(n->right);
        return rotate_left(n);
    }
    return n;
}

static sim_filter *remove_min(sim_filter *n, sim_filter **min)
{
    if (n->left == NULL) {
        *min = n;
        return n->right;
    }
    n->left = remove_min(n->left, min);
    return rebalance(n);
}

static sim_filter *remove_node(sim_filter *n, sim_filter *f)
{
    if (n == NULL)
        return NULL;
    int c = order(f, n);
    if (c < 0) {
        n->left = remove_node(n->left, f);
    } else if (c > 0) {
        n->right = remove_node(n->right, f);
    } else {
        sim_filter *l = n->left, *r = n->right;
        if (r == NULL)
            return l;
        sim_filter *min;
        r = remove_min(r, &min);
        min->left = l;
        min->right = r;
        n = min;
    }
    return rebalance(n);
}

/* AVL height is below 1.45 log2(n + 2): 96 levels cover any addressable tree. */
#define MAX_DEPTH 96

void sim_tree_insert(sim_filter **root, sim_filter *f)
{
    sim_filter **path[MAX_DEPTH];
    int depth = 0;
    sim_filter **link = root;
    while (*link != NULL) {
        path[depth++] = link;
        link = order(f, *link) < 0 ? &(*link)->left : &(*link)->right;
    }
    f->left = f->right = NULL;
    f->height = 1;
    *link = f;
    /* Up the path while heights change: a subtree whose height stays the same (always the case
       after a rotation) leaves its ancestors balanced.  Appends in order stop after O(1). */
    while (depth > 0) {
        sim_filter **at = path[--depth];
        uint8_t before = (*at)->height;
        *at = rebalance(*at);
        if ((*at)->height == before)
            break;
    }
}

void sim_tree_remove(sim_filter **root, sim_filter *f) { *root = remove_node(*root, f); }

int sim_tree_walk(sim_filter *root, int (*visit)(sim_filter *f, void *arg), void *arg)
{
    sim_filter *stack[MAX_DEPTH];
    int depth = 0;
    sim_filter *n = root;
    while (n != NULL || depth > 0) {
        while (n != NULL) {
            stack[depth++] = n;
            n = n->left;
        }
        n = stack[--depth];
        if (visit(n, arg))
            return 1;
        n = n->right;
    }
    return 0;
}
