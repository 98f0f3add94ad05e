/*
 * C checks of classify, built with the sanitizers by test_classify_c.py:
 *  - matching for the data types no layer offers (strings, signed integers, floats) and the
 *    string match types, through the engine's own condition encoding;
 *  - the equality index against the engine's authoritative order: after random adds, deletes
 *    and aborted transactions, every sublayer's result from classify equals the first
 *    terminating match found by walking the sublayer's AVL tree.
 * Prints "ok <name>" or "FAIL <name>" per check and "done <checks>" at the end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify_internal.h"

static int failures, checks;

#define CHECK(name, cond)                                                                          \
    do {                                                                                           \
        checks++;                                                                                  \
        if (cond) {                                                                                \
            printf("ok %s\n", name);                                                               \
        } else {                                                                                   \
            printf("FAIL %s (line %d)\n", name, __LINE__);                                         \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static const wfp_layer_info *layer_named(const char *name) { return wfp_layer_find_by_name(name); }

static uint32_t field_named(const wfp_layer_info *layer, const char *name)
{
    for (uint32_t i = 0; i < layer->num_fields; i++)
        if (strcmp(layer->fields[i].name, name) == 0)
            return i;
    fprintf(stderr, "no field %s\n", name);
    exit(2);
}

/* ---- matching through the stored encoding ---------------------------------------------------- */

static wfp_wchar *wide(const char *s, wfp_wchar *buf)
{
    size_t i = 0;
    for (; s[i]; i++)
        buf[i] = (unsigned char)s[i];
    buf[i] = 0;
    return buf;
}

/* One condition stored in a filter block, tested against one input. */
static int cond_matches(uint32_t match, const wfp_condition_value0 *cv, const sim_input *input)
{
    const wfp_layer_info *layer = layer_named("ALE_AUTH_CONNECT_V4");
    wfp_filter_condition0 c;
    memset(&c, 0, sizeof c);
    c.fieldKey = layer->fields[field_named(layer, "IP_REMOTE_PORT")].key; /* any field: types are not checked here */
    c.matchType = match;
    c.conditionValue = *cv;
    sim_filter *f = sim_build_condition_block(layer, &c, 1);
    int result = sim_condition_matches(f, &f->conditions[0], input);
    free(f);
    return result;
}

static sim_input string_input(const char *s, wfp_wchar *buf)
{
    sim_input v;
    memset(&v, 0, sizeof v);
    v.type = WFP_UNICODE_STRING_TYPE;
    v.data = (const uint8_t *)wide(s, buf);
    v.len = (uint32_t)((strlen(s) + 1) * 2);
    return v;
}

static int string_match(uint32_t match, const char *condition, const char *value)
{
    wfp_wchar cbuf[64], vbuf[64];
    wfp_condition_value0 cv;
    memset(&cv, 0, sizeof cv);
    cv.type = WFP_UNICODE_STRING_TYPE;
    cv.unicodeString = wide(condition, cbuf);
    sim_input v = string_input(value, vbuf);
    return cond_matches(match, &cv, &v);
}

static int wide_match(uint32_t match, const wfp_wchar *condition, const wfp_wchar *value)
{
    wfp_condition_value0 cv;
    memset(&cv, 0, sizeof cv);
    cv.type = WFP_UNICODE_STRING_TYPE;
    cv.unicodeString = (wfp_wchar *)condition;
    sim_input v;
    memset(&v, 0, sizeof v);
    v.type = WFP_UNICODE_STRING_TYPE;
    v.data = (const uint8_t *)value;
    v.len = (uint32_t)((wfp_wcslen(value) + 1) * 2);
    return cond_matches(match, &cv, &v);
}

static int int_match(uint32_t type, uint32_t match, int64_t condition, int64_t value)
{
    wfp_condition_value0 cv;
    memset(&cv, 0, sizeof cv);
    cv.type = type;
    int64_t c64 = condition;
    switch (type) {
    case WFP_INT8: cv.int8 = (int8_t)condition; break;
    case WFP_INT16: cv.int16 = (int16_t)condition; break;
    case WFP_INT32: cv.int32 = (int32_t)condition; break;
    default: cv.int64 = &c64; break;
    }
    sim_input v;
    memset(&v, 0, sizeof v);
    v.type = type;
    v.bits = (uint64_t)value;
    return cond_matches(match, &cv, &v);
}

static int signed_range(uint32_t type, int64_t low, int64_t high, int64_t value)
{
    wfp_range0 range;
    memset(&range, 0, sizeof range);
    range.valueLow.type = range.valueHigh.type = type;
    int64_t l64 = low, h64 = high;
    if (type == WFP_INT64) {
        range.valueLow.int64 = &l64;
        range.valueHigh.int64 = &h64;
    } else {
        range.valueLow.int32 = (int32_t)low;
        range.valueHigh.int32 = (int32_t)high;
    }
    wfp_condition_value0 cv;
    memset(&cv, 0, sizeof cv);
    cv.type = WFP_RANGE_TYPE;
    cv.rangeValue = &range;
    sim_input v;
    memset(&v, 0, sizeof v);
    v.type = type;
    v.bits = (uint64_t)value;
    return cond_matches(WFP_MATCH_RANGE, &cv, &v);
}

static int double_equal(double condition, double value)
{
    wfp_condition_value0 cv;
    memset(&cv, 0, sizeof cv);
    cv.type = WFP_DOUBLE;
    cv.double64 = &condition;
    sim_input v;
    memset(&v, 0, sizeof v);
    v.type = WFP_DOUBLE;
    memcpy(&v.bits, &value, 8);
    return cond_matches(WFP_MATCH_EQUAL, &cv, &v);
}

static int float_equal(float condition, float value)
{
    wfp_condition_value0 cv;
    memset(&cv, 0, sizeof cv);
    cv.type = WFP_FLOAT;
    cv.float32 = condition;
    sim_input v;
    memset(&v, 0, sizeof v);
    v.type = WFP_FLOAT;
    uint32_t bits;
    memcpy(&bits, &value, 4);
    v.bits = bits;
    return cond_matches(WFP_MATCH_EQUAL, &cv, &v);
}

static int blob_compare(uint32_t match, const char *condition, size_t clen, const char *value, size_t vlen)
{
    wfp_byte_blob blob = {(uint32_t)clen, (uint8_t *)condition};
    wfp_condition_value0 cv;
    memset(&cv, 0, sizeof cv);
    cv.type = WFP_BYTE_BLOB_TYPE;
    cv.byteBlob = &blob;
    sim_input v;
    memset(&v, 0, sizeof v);
    v.type = WFP_BYTE_BLOB_TYPE;
    v.data = (const uint8_t *)value;
    v.len = (uint32_t)vlen;
    return cond_matches(match, &cv, &v);
}

static void matching_checks(void)
{
    CHECK("string equal is case-sensitive", !string_match(WFP_MATCH_EQUAL, "Hello", "hello"));
    CHECK("string equal", string_match(WFP_MATCH_EQUAL, "Hello", "Hello"));
    CHECK("string equal needs the whole value", !string_match(WFP_MATCH_EQUAL, "Hell", "Hello"));
    CHECK("case-insensitive ascii", string_match(WFP_MATCH_EQUAL_CASE_INSENSITIVE, "HeLLo", "hEllO"));
    CHECK("case-insensitive length", !string_match(WFP_MATCH_EQUAL_CASE_INSENSITIVE, "Hello", "Hello!"));
    wfp_wchar upper[] = {0x00C4, 0x0416, 0x03A3, 0x0100, 0}, lower[] = {0x00E4, 0x0436, 0x03C3, 0x0101, 0};
    CHECK("case-insensitive Latin-1, Cyrillic, Greek, Latin Extended-A",
          wide_match(WFP_MATCH_EQUAL_CASE_INSENSITIVE, upper, lower));
    wfp_wchar final_sigma[] = {0x03C2, 0}, sigma[] = {0x03A3, 0};
    CHECK("final sigma folds to Sigma", wide_match(WFP_MATCH_EQUAL_CASE_INSENSITIVE, sigma, final_sigma));
    CHECK("case-insensitive is not case-blind to other letters",
          !string_match(WFP_MATCH_EQUAL_CASE_INSENSITIVE, "abc", "abd"));
    CHECK("string PREFIX tests the suffix", string_match(WFP_MATCH_PREFIX, "world", "hello world"));
    CHECK("string PREFIX is not a prefix test", !string_match(WFP_MATCH_PREFIX, "hello", "hello world"));
    CHECK("string PREFIX longer than value", !string_match(WFP_MATCH_PREFIX, "a hello world", "hello world"));
    CHECK("empty suffix matches", string_match(WFP_MATCH_PREFIX, "", "anything"));
    CHECK("string NOT_PREFIX", string_match(WFP_MATCH_NOT_PREFIX, "hello", "hello world"));
    CHECK("string NOT_PREFIX false", !string_match(WFP_MATCH_NOT_PREFIX, "world", "hello world"));
    CHECK("string ordinal greater", string_match(WFP_MATCH_GREATER, "abc", "abd"));
    CHECK("string shorter sorts first", string_match(WFP_MATCH_LESS, "abc", "ab"));
    CHECK("string not equal", string_match(WFP_MATCH_NOT_EQUAL, "abc", "abd"));

    CHECK("int8 signed order", int_match(WFP_INT8, WFP_MATCH_LESS, 0, -1));
    CHECK("int8 equal -128", int_match(WFP_INT8, WFP_MATCH_EQUAL, -128, -128));
    CHECK("int16 greater", int_match(WFP_INT16, WFP_MATCH_GREATER, -300, 200));
    CHECK("int32 less or equal", int_match(WFP_INT32, WFP_MATCH_LESS_OR_EQUAL, -5, -5));
    CHECK("int64 extreme order", int_match(WFP_INT64, WFP_MATCH_LESS, 0, INT64_MIN));
    CHECK("int64 greater or equal", !int_match(WFP_INT64, WFP_MATCH_GREATER_OR_EQUAL, 0, -1));
    CHECK("int32 range low end", signed_range(WFP_INT32, -5, 5, -5));
    CHECK("int32 range high end", signed_range(WFP_INT32, -5, 5, 5));
    CHECK("int32 range below", !signed_range(WFP_INT32, -5, 5, -6));
    CHECK("int64 range across zero", signed_range(WFP_INT64, -1, 1, 0));

    CHECK("double 0 == -0", double_equal(0.0, -0.0));
    CHECK("double NaN never equal", !double_equal(NAN, NAN));
    CHECK("double equal", double_equal(1.5, 1.5));
    CHECK("float equal", float_equal(2.5f, 2.5f));
    CHECK("float unequal", !float_equal(2.5f, 2.25f));

    CHECK("blob equal", blob_compare(WFP_MATCH_EQUAL, "abc", 3, "abc", 3));
    CHECK("blob shorter sorts first", blob_compare(WFP_MATCH_LESS, "abc", 3, "ab", 2));
    CHECK("blob greater", blob_compare(WFP_MATCH_GREATER, "abc", 3, "abd", 3));
    CHECK("blob suffix", blob_compare(WFP_MATCH_PREFIX, "bc", 2, "abc", 3));
    CHECK("blob suffix ignores a trailing UTF-16 NUL", blob_compare(WFP_MATCH_PREFIX, "c\0\0\0", 4, "b\0c\0\0\0", 6));
}

/* ---- the index against the AVL tree ------------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct walk_state {
    const sim_input *inputs;
    const sim_filter *found;
} walk_state;

static int first_terminating(sim_filter *f, void *arg)
{
    walk_state *w = arg;
    if ((f->flags & (WFP_FILTER_FLAG_DISABLED | WFP_FILTER_FLAG_BOOTTIME)) || !sim_filter_matches(f, w->inputs))
        return 0;
    w->found = f;
    return 1; /* only static Permit/Block rules exist in this test */
}

#define SUBLAYERS 3

static void index_checks(void)
{
    const wfp_backend *b = wfp_sim_backend();
    wfp_sim_engine *engine;
    wfp_sim_engine_create(NULL, &engine);
    wfp_session0 s;
    memset(&s, 0, sizeof s);
    wfp_handle h;
    wfp_sim_session_open(engine, &s, &h);
    const wfp_layer_info *layer = layer_named("ALE_AUTH_CONNECT_V4");
    uint32_t port_field = field_named(layer, "IP_REMOTE_PORT");
    uint32_t addr_field = field_named(layer, "IP_REMOTE_ADDRESS");
    uint32_t proto_field = field_named(layer, "IP_PROTOCOL");
    wfp_guid sublayers[SUBLAYERS];
    wfp_wchar name[] = {'s', 0};
    for (int i = 0; i < SUBLAYERS; i++) {
        wfp_sublayer0 sl;
        memset(&sl, 0, sizeof sl);
        sl.displayData.name = name;
        sl.subLayerKey.Data1 = 0xC1A55000u + (uint32_t)i;
        sl.weight = (uint16_t)(0x1000 * (i + 1));
        sublayers[i] = sl.subLayerKey;
        b->sublayer_add(h, &sl, NULL);
    }
    uint64_t ids[4000];
    size_t live = 0;
    int mismatches = 0, rounds = 0, classifies = 0;
    for (int round = 0; round < 60; round++, rounds++) {
        int abort = round % 7 == 3;
        if (abort)
            b->transaction_begin(h, 0);
        for (int k = 0; k < 60 && live < 4000; k++) {
            wfp_filter0 f;
            memset(&f, 0, sizeof f);
            f.displayData.name = name;
            f.layerKey = layer->key;
            f.subLayerKey = sublayers[next_random() % SUBLAYERS];
            f.action.type = next_random() % 2 ? WFP_ACTION_PERMIT : WFP_ACTION_BLOCK;
            uint64_t w = next_random() % 6;
            if (w < 4) {
                f.weight.type = WFP_UINT64;
                f.weight.uint64 = &w; /* few distinct weights: many ties */
            }
            wfp_filter_condition0 c[3];
            memset(c, 0, sizeof c);
            uint32_t n = 0, shape = (uint32_t)(next_random() % 6);
            wfp_v4_addr_and_mask mask = {0x0A000000u | (uint32_t)(next_random() % 4) << 8, 0xFFFFFF00u};
            wfp_range0 range;
            memset(&range, 0, sizeof range);
            if (shape == 0 || shape == 1) { /* port equality, maybe two ORed */
                c[n].fieldKey = layer->fields[port_field].key;
                c[n].conditionValue.type = WFP_UINT16;
                c[n++].conditionValue.uint16 = (uint16_t)(next_random() % 8);
                if (shape == 1) {
                    c[n].fieldKey = layer->fields[port_field].key;
                    c[n].conditionValue.type = WFP_UINT16;
                    c[n++].conditionValue.uint16 = (uint16_t)(next_random() % 8);
                }
            } else if (shape == 2) { /* an address prefix and a protocol */
                c[n].fieldKey = layer->fields[addr_field].key;
                c[n].conditionValue.type = WFP_V4_ADDR_MASK;
                c[n++].conditionValue.v4AddrMask = &mask;
                c[n].fieldKey = layer->fields[proto_field].key;
                c[n].conditionValue.type = WFP_UINT8;
                c[n++].conditionValue.uint8 = (uint8_t)(next_random() % 2 ? 6 : 17);
            } else if (shape == 3) { /* a port range: residual */
                c[n].fieldKey = layer->fields[port_field].key;
                c[n].matchType = WFP_MATCH_RANGE;
                range.valueLow.type = range.valueHigh.type = WFP_UINT16;
                range.valueLow.uint16 = (uint16_t)(next_random() % 4);
                range.valueHigh.uint16 = (uint16_t)(range.valueLow.uint16 + next_random() % 4);
                c[n].conditionValue.type = WFP_RANGE_TYPE;
                c[n++].conditionValue.rangeValue = &range;
            } else if (shape == 4) { /* an exact address */
                c[n].fieldKey = layer->fields[addr_field].key;
                c[n].conditionValue.type = WFP_UINT32;
                c[n++].conditionValue.uint32 = 0x0A000000u | (uint32_t)(next_random() % 4) << 8 | (uint32_t)(next_random() % 4);
            } /* shape 5: no conditions */
            f.numFilterConditions = n;
            f.filterCondition = n ? c : NULL;
            uint64_t id;
            if (b->filter_add(h, &f, NULL, &id) == WFP_OK && !abort)
                ids[live++] = id;
        }
        for (int k = 0; k < 25 && live > 0; k++) {
            size_t at = next_random() % live;
            b->filter_delete_by_id(h, ids[at]);
            if (!abort)
                ids[at] = ids[--live];
        }
        if (abort)
            b->transaction_abort(h);

        wfp_sim_engine *e = engine;
        for (int q = 0; q < 40; q++, classifies++) {
            wfp_classify_value values[3];
            memset(values, 0, sizeof values);
            uint32_t nv = 0;
            if (next_random() % 8) {
                values[nv].field = port_field;
                values[nv].value.type = WFP_UINT16;
                values[nv++].value.uint16 = (uint16_t)(next_random() % 9);
            }
            values[nv].field = addr_field;
            values[nv].value.type = WFP_UINT32;
            values[nv++].value.uint32 = 0x0A000000u | (uint32_t)(next_random() % 5) << 8 | (uint32_t)(next_random() % 4);
            values[nv].field = proto_field;
            values[nv].value.type = WFP_UINT8;
            values[nv++].value.uint8 = next_random() % 2 ? 6 : 17;
            wfp_arena arena;
            wfp_arena_init(&arena, 0);
            wfp_classify_options o;
            memset(&o, 0, sizeof o);
            o.flags = WFP_CLASSIFY_TRACE;
            o.arena = &arena;
            wfp_classify_result r;
            if (wfp_sim_classify(h, &layer->key, values, nv, &o, &r) != WFP_OK) {
                mismatches++;
                wfp_arena_free(&arena);
                continue;
            }
            sim_input inputs[64];
            uint32_t bad;
            sim_inputs_build(layer, values, nv, inputs, &bad);
            const sim_layer_state *ls = &e->layers[layer - wfp_layer_table];
            if (r.num_sublayers != ls->num_slots)
                mismatches++;
            for (size_t sl = 0; sl < ls->num_slots && sl < r.num_sublayers; sl++) {
                walk_state w = {inputs, NULL};
                sim_tree_walk(ls->slots[sl].root, first_terminating, &w);
                uint64_t expected = w.found != NULL ? w.found->id : 0;
                if (r.sublayers[sl].filter_id != expected)
                    mismatches++;
            }
            wfp_arena_free(&arena);
        }
    }
    char label[96];
    snprintf(label, sizeof label, "index agrees with the tree (%d rounds, %d classifies, %zu filters)", rounds,
             classifies, live);
    CHECK(label, mismatches == 0);
    b->engine_close(h);
    wfp_sim_engine_release(engine);
}

int main(void)
{
    matching_checks();
    index_checks();
    printf("done %d\n", checks);
    return failures == 0 ? 0 : 1;
}
