/*
 * Matching (reference §5.2-§5.4): classify values in the engine's compact form, one condition
 * against one value, one filter against all values.
 *
 * Choices the documentation leaves open [I]:
 *  - only EQUAL with an FWP_EMPTY condition matches an unknown (EMPTY) value; every other
 *    condition on that field is false, NOT_EQUAL and NOT_PREFIX included;
 *  - FLAGS_ALL_SET = (v & c) == c, FLAGS_ANY_SET = (v & c) != 0, FLAGS_NONE_SET = (v & c) == 0;
 *  - order: BYTE_ARRAY16 by memcmp, blobs by memcmp over the common length then shorter first,
 *    strings by UTF-16 code unit without the terminator; FLOAT/DOUBLE EQUAL is IEEE equality;
 *  - EQUAL_CASE_INSENSITIVE folds with a simple per-code-unit upper-casing (below);
 *  - PREFIX is a suffix test (documented); on a blob, a trailing UTF-16 NUL of either side is
 *    dropped first so app ids compare as text;
 *  - a security descriptor condition is decided against a token value listing SIDs: its DACL
 *    is evaluated for FWP_ACTRL_MATCH_FILTER like AccessCheck (restricted SIDs checked too,
 *    deny-only SIDs only for deny ACEs, generic rights not mapped).  An opaque
 *    TOKEN_ACCESS_INFORMATION blob cannot be decided: the condition is false.
 */
#include <string.h>

#include "classify_internal.h"

#define FWP_ACTRL_MATCH_FILTER 0x1u
#define SE_DACL_PRESENT 0x0004u
#define INHERIT_ONLY_ACE 0x08u
#define ACCESS_ALLOWED_ACE_TYPE 0u
#define ACCESS_DENIED_ACE_TYPE 1u
#define SE_GROUP_USE_FOR_DENY_ONLY 0x10u

/* ============================================================================================
 * Inputs
 * ============================================================================================ */

static int is_token_type(uint32_t type)
{
    return type == WFP_TOKEN_INFORMATION_TYPE || type == WFP_TOKEN_ACCESS_INFORMATION_TYPE;
}

static uint32_t value_type_ok(const wfp_field_info *field, uint32_t type)
{
    if (type == WFP_EMPTY || type == field->data_type)
        return WFP_OK;
    /* User fields carry a token at run time; some layers list them with the condition type. */
    if ((is_token_type(field->data_type) || field->data_type == WFP_SECURITY_DESCRIPTOR_TYPE) &&
        is_token_type(type))
        return WFP_OK;
    return WFP_E_TYPE_MISMATCH;
}

static int sid_list_ok(const wfp_sid_and_attributes *list, uint32_t n)
{
    if (n > 0 && list == NULL)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (list[i].Sid == NULL)
            return 0;
    return 1;
}

static uint32_t convert(const wfp_value0 *in, sim_input *out)
{
    memset(out, 0, sizeof *out);
    out->type = in->type;
    switch (in->type) {
    case WFP_EMPTY:
        return WFP_OK;
    case WFP_UINT8:
        out->bits = in->uint8;
        return WFP_OK;
    case WFP_UINT16:
        out->bits = in->uint16;
        return WFP_OK;
    case WFP_UINT32:
        out->bits = in->uint32;
        return WFP_OK;
    case WFP_INT8:
        out->bits = (uint64_t)(int64_t)in->int8;
        return WFP_OK;
    case WFP_INT16:
        out->bits = (uint64_t)(int64_t)in->int16;
        return WFP_OK;
    case WFP_INT32:
        out->bits = (uint64_t)(int64_t)in->int32;
        return WFP_OK;
    case WFP_FLOAT: {
        uint32_t bits;
        memcpy(&bits, &in->float32, 4);
        out->bits = bits;
        return WFP_OK;
    }
    default:
        break;
    }
    if (in->uint64 == NULL) /* every pointer member shares the union's storage */
        return WFP_E_NULL_POINTER;
    switch (in->type) {
    case WFP_UINT64:
        out->bits = *in->uint64;
        return WFP_OK;
    case WFP_INT64:
        out->bits = (uint64_t)*in->int64;
        return WFP_OK;
    case WFP_DOUBLE:
        memcpy(&out->bits, in->double64, 8);
        return WFP_OK;
    case WFP_BYTE_ARRAY16_TYPE:
        out->data = in->byteArray16->byteArray16;
        out->len = 16;
        return WFP_OK;
    case WFP_BYTE_ARRAY6_TYPE:
        out->data = in->byteArray6->byteArray6;
        out->len = 6;
        return WFP_OK;
    case WFP_BYTE_BLOB_TYPE:
    case WFP_SECURITY_DESCRIPTOR_TYPE:
    case WFP_TOKEN_ACCESS_INFORMATION_TYPE:
        if (in->byteBlob->size > 0 && in->byteBlob->data == NULL)
            return WFP_E_NULL_POINTER;
        out->data = in->byteBlob->data;
        out->len = in->byteBlob->size;
        return WFP_OK;
    case WFP_SID:
        out->data = (const uint8_t *)in->sid;
        out->len = 8u + 4u * in->sid->SubAuthorityCount;
        return WFP_OK;
    case WFP_UNICODE_STRING_TYPE:
        out->data = (const uint8_t *)in->unicodeString;
        out->len = (uint32_t)((wfp_wcslen(in->unicodeString) + 1) * sizeof(wfp_wchar));
        return WFP_OK;
    case WFP_TOKEN_INFORMATION_TYPE:
        if (!sid_list_ok(in->tokenInformation->sids, in->tokenInformation->sidCount) ||
            !sid_list_ok(in->tokenInformation->restrictedSids, in->tokenInformation->restrictedSidCount))
            return WFP_E_NULL_POINTER;
        out->token = in->tokenInformation;
        return WFP_OK;
    default:
        return WFP_E_TYPE_MISMATCH;
    }
}

uint32_t sim_inputs_build(const wfp_layer_info *layer, const wfp_classify_value *values, uint32_t n,
                          sim_input *inputs, uint32_t *bad)
{
    memset(inputs, 0, layer->num_fields * sizeof *inputs);
    uint64_t given[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < n; i++) {
        *bad = i;
        uint32_t field = values[i].field;
        if (field >= layer->num_fields || field >= 256)
            return WFP_E_CONDITION_NOT_FOUND;
        if (given[field / 64] & (1ull << (field % 64)))
            return WFP_E_DUPLICATE_CONDITION;
        given[field / 64] |= 1ull << (field % 64);
        uint32_t status = value_type_ok(&layer->fields[field], values[i].value.type);
        if (status == WFP_OK)
            status = convert(&values[i].value, &inputs[field]);
        if (status != WFP_OK)
            return status;
    }
    *bad = 0;
    return WFP_OK;
}

/* ============================================================================================
 * Ordering and equality of a value against a stored one
 * ============================================================================================ */

static int compare_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

static uint16_t unit_at(const uint8_t *p, size_t i)
{
    uint16_t u;
    memcpy(&u, p + 2 * i, 2);
    return u;
}

/* Code units of a stored or input string without its terminator. */
static size_t string_units(uint32_t len) { return len >= 2 ? len / 2 - 1 : 0; }

static int compare_units(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        uint16_t ua = unit_at(a, i), ub = unit_at(b, i);
        if (ua != ub)
            return ua < ub ? -1 : 1;
    }
    return an == bn ? 0 : (an < bn ? -1 : 1);
}

/* v <=> stored value (type, bits) of filter f.  Both have the same sortable type. */
static int compare_to(const sim_filter *f, uint32_t type, uint64_t bits, const sim_input *v)
{
    switch (type) {
    case WFP_UINT8:
    case WFP_UINT16:
    case WFP_UINT32:
    case WFP_UINT64:
        return v->bits == bits ? 0 : (v->bits < bits ? -1 : 1);
    case WFP_INT8:
    case WFP_INT16:
    case WFP_INT32:
    case WFP_INT64:
        return (int64_t)v->bits == (int64_t)bits ? 0 : ((int64_t)v->bits < (int64_t)bits ? -1 : 1);
    default:
        break;
    }
    uint32_t len;
    const uint8_t *p = sim_payload(f, bits, &len);
    if (type == WFP_UNICODE_STRING_TYPE)
        return compare_units(v->data, string_units(v->len), p, string_units(len));
    return compare_bytes(v->data, v->len, p, len);
}

static int float_equal(uint32_t type, uint64_t a, uint64_t b)
{
    if (type == WFP_FLOAT) {
        float x, y;
        uint32_t ax = (uint32_t)a, bx = (uint32_t)b;
        memcpy(&x, &ax, 4);
        memcpy(&y, &bx, 4);
        return x == y;
    }
    double x, y;
    memcpy(&x, &a, 8);
    memcpy(&y, &b, 8);
    return x == y;
}

static int equal_to(const sim_filter *f, uint32_t type, uint64_t bits, const sim_input *v)
{
    if (type == WFP_FLOAT || type == WFP_DOUBLE)
        return float_equal(type, v->bits, bits);
    if (sim_type_is_inline(type))
        return v->bits == bits;
    uint32_t len;
    const uint8_t *p = sim_payload(f, bits, &len);
    if (type == WFP_UNICODE_STRING_TYPE)
        return compare_units(v->data, string_units(v->len), p, string_units(len)) == 0;
    return v->len == len && (len == 0 || memcmp(v->data, p, len) == 0);
}

/* A simple upper-case mapping of one UTF-16 code unit (the ranges RtlUpcaseUnicodeChar folds in
   practice: ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic, fullwidth Latin) [I]. */
static uint16_t upcase(uint16_t u)
{
    if (u >= 'a' && u <= 'z')
        return (uint16_t)(u - 0x20);
    if (u < 0xE0)
        return u;
    if (u <= 0xFE)
        return u == 0xF7 ? u : (uint16_t)(u - 0x20);
    if (u == 0xFF)
        return 0x178;
    if (u >= 0x100 && u <= 0x17F) {
        if ((u >= 0x139 && u <= 0x148) || (u >= 0x179 && u <= 0x17E))
            return (u & 1) == 0 ? (uint16_t)(u - 1) : u;
        if (u == 0x131 || u == 0x138 || u == 0x149 || u == 0x17F)
            return u;
        return (u & 1) == 1 ? (uint16_t)(u - 1) : u;
    }
    if (u >= 0x3B1 && u <= 0x3CB)
        return u == 0x3C2 ? 0x3A3 : (uint16_t)(u - 0x20);
    if (u >= 0x430 && u <= 0x44F)
        return (uint16_t)(u - 0x20);
    if (u >= 0x450 && u <= 0x45F)
        return (uint16_t)(u - 0x50);
    if (u >= 0xFF41 && u <= 0xFF5A)
        return (uint16_t)(u - 0x20);
    return u;
}

static int equal_case_insensitive(const sim_filter *f, uint64_t bits, const sim_input *v)
{
    uint32_t len;
    const uint8_t *p = sim_payload(f, bits, &len);
    size_t n = string_units(len);
    if (string_units(v->len) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (upcase(unit_at(v->data, i)) != upcase(unit_at(p, i)))
            return 0;
    return 1;
}

/* Drops one trailing UTF-16 NUL of a blob holding text. */
static size_t blob_text_length(const uint8_t *p, size_t len)
{
    if (len >= 2 && len % 2 == 0 && p[len - 1] == 0 && p[len - 2] == 0)
        return len - 2;
    return len;
}

static int ends_with(const sim_filter *f, uint32_t type, uint64_t bits, const sim_input *v)
{
    uint32_t len;
    const uint8_t *p = sim_payload(f, bits, &len);
    if (type == WFP_UNICODE_STRING_TYPE) {
        size_t vn = string_units(v->len), cn = string_units(len);
        return cn <= vn && compare_units(v->data + 2 * (vn - cn), cn, p, cn) == 0;
    }
    size_t vn = blob_text_length(v->data, v->len), cn = blob_text_length(p, len);
    return cn <= vn && (cn == 0 || memcmp(v->data + (vn - cn), p, cn) == 0);
}

/* ============================================================================================
 * Security descriptors against a token
 * ============================================================================================ */

static uint32_t read_u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t read_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static size_t sid_bytes(const wfp_sid *sid) { return 8u + 4u * (size_t)sid->SubAuthorityCount; }

/* Whether the SID at p (at most avail bytes) is one of the list's, usable for this ACE type. */
static int list_holds(const wfp_sid_and_attributes *list, uint32_t n, const uint8_t *p, size_t avail,
                      int deny_ace)
{
    if (avail < 8)
        return 0;
    size_t len = 8u + 4u * (size_t)p[1];
    if (len > avail)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!deny_ace && (list[i].Attributes & SE_GROUP_USE_FOR_DENY_ONLY))
            continue;
        if (sid_bytes(list[i].Sid) == len && memcmp(list[i].Sid, p, len) == 0)
            return 1;
    }
    return 0;
}

/* AccessCheck of one SID list against a DACL for FWP_ACTRL_MATCH_FILTER. */
static int dacl_grants(const uint8_t *sd, size_t sd_len, const wfp_sid_and_attributes *sids, uint32_t n)
{
    if (sd_len < 20)
        return 0;
    uint16_t control = read_u16(sd + 2);
    uint32_t dacl = read_u32(sd + 16);
    if (!(control & SE_DACL_PRESENT) || dacl == 0)
        return 1; /* no DACL: everyone is granted */
    if (dacl > sd_len || sd_len - dacl < 8)
        return 0;
    const uint8_t *acl = sd + dacl;
    size_t acl_len = read_u16(acl + 2);
    if (acl_len > sd_len - dacl)
        acl_len = sd_len - dacl;
    uint16_t count = read_u16(acl + 4);
    size_t off = 8;
    uint32_t remaining = FWP_ACTRL_MATCH_FILTER;
    for (uint16_t i = 0; i < count; i++) {
        if (off > acl_len || acl_len - off < 8)
            return 0;
        const uint8_t *ace = acl + off;
        uint8_t type = ace[0], flags = ace[1];
        uint16_t size = read_u16(ace + 2);
        if (size < 8 || size > acl_len - off)
            return 0;
        off += size;
        if (flags & INHERIT_ONLY_ACE)
            continue;
        if (type != ACCESS_ALLOWED_ACE_TYPE && type != ACCESS_DENIED_ACE_TYPE)
            continue;
        uint32_t mask = read_u32(ace + 4);
        int deny = type == ACCESS_DENIED_ACE_TYPE;
        if (!list_holds(sids, n, ace + 8, (size_t)size - 8, deny))
            continue;
        if (deny) {
            if (mask & remaining)
                return 0;
        } else {
            remaining &= ~mask;
            if (remaining == 0)
                return 1;
        }
    }
    return 0;
}

static int sd_matches(const sim_filter *f, uint64_t bits, const sim_input *v)
{
    if (v->type != WFP_TOKEN_INFORMATION_TYPE)
        return 0; /* an opaque access-information blob cannot be decided here */
    uint32_t len;
    const uint8_t *sd = sim_payload(f, bits, &len);
    const wfp_token_information *t = v->token;
    if (!dacl_grants(sd, len, t->sids, t->sidCount))
        return 0;
    return t->restrictedSidCount == 0 || dacl_grants(sd, len, t->restrictedSids, t->restrictedSidCount);
}

/* ============================================================================================
 * One condition, one filter
 * ============================================================================================ */

static int v6_prefix_equal(const uint8_t *a, const uint8_t *b, uint32_t prefix)
{
    uint32_t whole = prefix / 8, rest = prefix % 8;
    if (whole > 0 && memcmp(a, b, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

int sim_condition_matches(const sim_filter *f, const sim_cond *c, const sim_input *v)
{
    if (v->type == WFP_EMPTY)
        return c->type == WFP_EMPTY && c->match == WFP_MATCH_EQUAL;
    uint32_t len;
    switch (c->type) {
    case WFP_EMPTY:
        return 0;
    case WFP_V4_ADDR_MASK: {
        if (v->type != WFP_UINT32)
            return 0;
        uint32_t addr = (uint32_t)(c->bits >> 32), mask = (uint32_t)c->bits;
        return ((uint32_t)v->bits & mask) == (addr & mask);
    }
    case WFP_V6_ADDR_MASK: {
        if (v->type != WFP_BYTE_ARRAY16_TYPE)
            return 0;
        const uint8_t *p = sim_payload(f, c->bits, &len);
        return v6_prefix_equal(v->data, p, p[16] <= 128 ? p[16] : 128);
    }
    case WFP_RANGE_TYPE: {
        const sim_value *ends = (const sim_value *)(const void *)sim_payload(f, c->bits, &len);
        if (ends[0].type != v->type)
            return 0;
        return compare_to(f, ends[0].type, ends[0].bits, v) >= 0 &&
               compare_to(f, ends[1].type, ends[1].bits, v) <= 0;
    }
    case WFP_SECURITY_DESCRIPTOR_TYPE:
        return c->match == WFP_MATCH_EQUAL && sd_matches(f, c->bits, v);
    default:
        break;
    }
    if (c->type != v->type)
        return 0; /* BFE converts nothing [D: FWP_MATCH_TYPE] */
    switch (c->match) {
    case WFP_MATCH_EQUAL:
        return equal_to(f, c->type, c->bits, v);
    case WFP_MATCH_NOT_EQUAL:
        return !equal_to(f, c->type, c->bits, v);
    case WFP_MATCH_GREATER:
        return compare_to(f, c->type, c->bits, v) > 0;
    case WFP_MATCH_LESS:
        return compare_to(f, c->type, c->bits, v) < 0;
    case WFP_MATCH_GREATER_OR_EQUAL:
        return compare_to(f, c->type, c->bits, v) >= 0;
    case WFP_MATCH_LESS_OR_EQUAL:
        return compare_to(f, c->type, c->bits, v) <= 0;
    case WFP_MATCH_FLAGS_ALL_SET:
        return (v->bits & c->bits) == c->bits;
    case WFP_MATCH_FLAGS_ANY_SET:
        return (v->bits & c->bits) != 0;
    case WFP_MATCH_FLAGS_NONE_SET:
        return (v->bits & c->bits) == 0;
    case WFP_MATCH_EQUAL_CASE_INSENSITIVE:
        return c->type == WFP_UNICODE_STRING_TYPE && equal_case_insensitive(f, c->bits, v);
    case WFP_MATCH_PREFIX:
        return ends_with(f, c->type, c->bits, v);
    case WFP_MATCH_NOT_PREFIX:
        return !ends_with(f, c->type, c->bits, v);
    default:
        return 0; /* RANGE without a range value cannot be stored */
    }
}

int sim_filter_matches(const sim_filter *f, const sim_input *inputs)
{
    /* One pass: a field is satisfied by any of its conditions; every field must be. */
    uint64_t present[4] = {0, 0, 0, 0}, satisfied[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < f->num_conditions; i++) {
        const sim_cond *c = &f->conditions[i];
        uint32_t word = c->field / 64u;
        uint64_t bit = 1ull << (c->field % 64u);
        if (word >= 4)
            return 0;
        present[word] |= bit;
        if (satisfied[word] & bit)
            continue;
        if (sim_condition_matches(f, c, &inputs[c->field]))
            satisfied[word] |= bit;
    }
    return present[0] == satisfied[0] && present[1] == satisfied[1] && present[2] == satisfied[2] &&
           present[3] == satisfied[3];
}
