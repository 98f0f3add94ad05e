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

#define MAX_DEPTH SIM_TREE_MAX_DEPTH

/* Makes the spine the path from node[depth - 1] down the right links through n; 0 (and no
   spine) when it is longer than a spine holds. */
static int spine_from(sim_spine *spine, uint32_t depth, sim_filter *n)
{
    for (; n != NULL; n = n->right) {
        if (depth == SIM_SPINE_MAX) {
            spine->len = 0;
            return 0;
        }
        spine->node[depth++] = n;
    }
    spine->len = depth;
    return 1;
}

/* Appends f, which goes after every filter of the slot (as a bulk add of equally weighted
   filters goes), along the spine; 0 when there is no room for the spine (nothing changed). */
static int append(sim_slot *slot, sim_filter *f)
{
    sim_spine *spine = &slot->spine;
    if (spine->len == 0 || spine->node[0] != slot->root || spine->node[spine->len - 1] != slot->last)
        if (!spine_from(spine, 0, slot->root))
            return 0;
    if (spine->len == SIM_SPINE_MAX) {
        spine->len = 0;
        return 0;
    }
    uint32_t parent = spine->len - 1;
    spine->node[parent]->right = f;
    spine->node[spine->len++] = f;
    slot->last = f;
    /* Up the spine while heights change, as sim_tree_insert does up its path.  A rotation puts
       another node at that depth: the spine below it is walked again (a few levels, and never
       longer than before). */
    for (uint32_t d = parent + 1; d-- > 0;) {
        sim_filter *n = spine->node[d];
        uint8_t before = n->height;
        sim_filter *top = rebalance(n);
        if (top != n) {
            if (d == 0)
                slot->root = top;
            else
                spine->node[d - 1]->right = top;
            spine_from(spine, d, top);
        }
        if (top->height == before)
            break;
    }
    return 1;
}

void sim_tree_insert(sim_slot *slot, sim_filter *f)
{
    f->left = f->right = NULL;
    f->height = 1;
    if (slot->last != NULL && order(f, slot->last) > 0 && append(slot, f))
        return;
    slot->spine.len = 0; /* the tree changes off the spine: it is walked again when needed */
    sim_filter **path[MAX_DEPTH];
    int depth = 0;
    sim_filter **link = &slot->root;
    while (*link != NULL) {
        path[depth++] = link;
        link = order(f, *link) < 0 ? &(*link)->left : &(*link)->right;
    }
    *link = f;
    if (slot->last == NULL || order(f, slot->last) > 0)
        slot->last = f;
    /* Up the path while heights change: a subtree whose height stays the same (always the case
       after a rotation) leaves its ancestors balanced. */
    while (depth > 0) {
        sim_filter **at = path[--depth];
        uint8_t before = (*at)->height;
        *at = rebalance(*at);
        if ((*at)->height == before)
            break;
    }
}

void sim_tree_remove(sim_slot *slot, sim_filter *f)
{
    slot->spine.len = 0;
    slot->root = remove_node(slot->root, f);
    if (slot->last == f) {
        sim_filter *n = slot->root;
        while (n != NULL && n->right != NULL)
            n = n->right;
        slot->last = n;
    }
}

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
