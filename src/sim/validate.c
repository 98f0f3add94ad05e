/*
 * Condition validation (reference §5.2, §5.3, §3.6), shared by FwpmFilterAdd0 and filter
 * enumeration templates.  The three functions are separate stages so that the caller's check
 * order (objects.c) decides when each class of error wins.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

/* SECURITY_DESCRIPTOR_RELATIVE: Revision, Sbz1, Control, then four offsets. */
#define SD_HEADER_SIZE 20u
#define SE_SELF_RELATIVE 0x8000u
#define SID_MAX_SUB_AUTHORITIES 15u

/* Types whose FWP_CONDITION_VALUE0 member is a pointer (UINT64, INT64, DOUBLE and V4_ADDR_MASK
   are stored inline by the engine but passed by pointer). */
static int is_pointer_type(uint32_t type)
{
    return !sim_type_is_inline(type) || type == WFP_UINT64 || type == WFP_INT64 || type == WFP_DOUBLE ||
           type == WFP_V4_ADDR_MASK;
}

static int blob_ok(const wfp_byte_blob *b) { return b != NULL && (b->size == 0 || b->data != NULL); }

static int sid_list_ok(const wfp_sid_and_attributes *list, uint32_t n)
{
    if (n > 0 && list == NULL)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (list[i].Sid == NULL)
            return 0;
    return 1;
}

/* Every pointer the value's type requires is present (FWP_CONDITION_VALUE0: "cannot be null"). */
static int value_pointers_ok(const wfp_condition_value0 *v, int allow_range)
{
    if (!is_pointer_type(v->type))
        return 1;
    switch (v->type) {
    case WFP_UINT64:
    case WFP_INT64:
    case WFP_DOUBLE:
    case WFP_BYTE_ARRAY16_TYPE:
    case WFP_BYTE_ARRAY6_TYPE:
    case WFP_SID:
    case WFP_UNICODE_STRING_TYPE:
    case WFP_V4_ADDR_MASK:
    case WFP_V6_ADDR_MASK:
        return v->uint64 != NULL; /* every pointer member shares the union's storage */
    case WFP_BYTE_BLOB_TYPE:
    case WFP_SECURITY_DESCRIPTOR_TYPE:
    case WFP_TOKEN_ACCESS_INFORMATION_TYPE:
        return blob_ok(v->byteBlob);
    case WFP_TOKEN_INFORMATION_TYPE:
        return v->tokenInformation != NULL &&
               sid_list_ok(v->tokenInformation->sids, v->tokenInformation->sidCount) &&
               sid_list_ok(v->tokenInformation->restrictedSids, v->tokenInformation->restrictedSidCount);
    case WFP_RANGE_TYPE: {
        if (!allow_range || v->rangeValue == NULL)
            return allow_range ? 0 : 1;
        wfp_condition_value0 low, high;
        sim_value_from_fwp(&v->rangeValue->valueLow, &low);
        sim_value_from_fwp(&v->rangeValue->valueHigh, &high);
        return value_pointers_ok(&low, 0) && value_pointers_ok(&high, 0);
    }
    default:
        return 1; /* unknown types fail the type check later */
    }
}

uint32_t sim_check_conditions_null(const wfp_filter_condition0 *conds, uint32_t n)
{
    if (n > 0 && conds == NULL)
        return WFP_E_NULL_POINTER;
    for (uint32_t i = 0; i < n; i++)
        if (!value_pointers_ok(&conds[i].conditionValue, 1))
            return WFP_E_NULL_POINTER;
    return WFP_OK;
}

/* The adds of a bulk load name the same few fields over and over: a hit costs one GUID compare
   instead of a binary search of the layer's fields. */
static const wfp_field_info *field_lookup(sim_engine *e, const wfp_layer_info *layer, const wfp_guid *key)
{
    if (e == NULL)
        return wfp_layer_field_find(layer, key);
    sim_field_memo *m = &e->field_memo[(key->Data1 ^ (uint32_t)(layer - wfp_layer_table)) % SIM_FIELD_MEMO_SIZE];
    if (m->layer == layer && sim_guid_equal(&m->key, key))
        return m->field;
    const wfp_field_info *field = wfp_layer_field_find(layer, key);
    if (field != NULL) {
        m->layer = layer;
        m->key = *key;
        m->field = field;
    }
    return field;
}

uint16_t *sim_condition_fields_scratch(sim_engine *e, uint32_t n)
{
    if (e->condition_fields == NULL || n > e->condition_fields_cap) {
        uint32_t cap = n < 16 ? 16 : n < UINT32_MAX / 2 ? n + n / 2 : n;
        uint16_t *fields = realloc(e->condition_fields, (size_t)cap * sizeof *fields);
        if (fields == NULL)
            return NULL;
        e->condition_fields = fields;
        e->condition_fields_cap = cap;
    }
    return e->condition_fields;
}

uint32_t sim_check_conditions_exist(sim_engine *e, const wfp_layer_info *layer,
                                    const wfp_filter_condition0 *conds, uint32_t n, uint16_t *fields)
{
    for (uint32_t i = 0; i < n; i++) {
        const wfp_field_info *field = field_lookup(e, layer, &conds[i].fieldKey);
        if (field == NULL)
            return WFP_E_CONDITION_NOT_FOUND;
        fields[i] = (uint16_t)(field - layer->fields);
    }
    return WFP_OK;
}

static int is_sortable(uint32_t type)
{
    return (type >= WFP_UINT8 && type <= WFP_INT64) || type == WFP_BYTE_ARRAY16_TYPE ||
           type == WFP_BYTE_BLOB_TYPE || type == WFP_UNICODE_STRING_TYPE;
}

static int is_unsigned(uint32_t type) { return type >= WFP_UINT8 && type <= WFP_UINT64; }

static int is_token_type(uint32_t type)
{
    return type == WFP_TOKEN_INFORMATION_TYPE || type == WFP_TOKEN_ACCESS_INFORMATION_TYPE;
}

/* Condition types that have a member in FWP_CONDITION_VALUE0 (BITMAP_* have none in the ABI). */
static int is_known_condition_type(uint32_t type)
{
    return type <= WFP_BYTE_ARRAY6_TYPE || type == WFP_V4_ADDR_MASK || type == WFP_V6_ADDR_MASK ||
           type == WFP_RANGE_TYPE;
}

/* §5.3: which condition value types a field accepts. */
static uint32_t check_type(const wfp_field_info *field, const wfp_condition_value0 *v,
                           sim_condition_use use)
{
    uint32_t type = v->type;
    if (!is_known_condition_type(type))
        return WFP_E_TYPE_MISMATCH;
    if (type == WFP_RANGE_TYPE) {
        uint32_t low = v->rangeValue->valueLow.type, high = v->rangeValue->valueHigh.type;
        if (low != high)
            return WFP_E_INVALID_RANGE;
        return low == field->data_type ? WFP_OK : WFP_E_TYPE_MISMATCH;
    }
    if (type == field->data_type || type == WFP_EMPTY)
        return WFP_OK;
    switch (type) {
    case WFP_V4_ADDR_MASK:
        return field->data_type == WFP_UINT32 && field->field_type == WFP_FIELD_IP_ADDRESS
                   ? WFP_OK
                   : WFP_E_TYPE_MISMATCH;
    case WFP_V6_ADDR_MASK:
        return field->data_type == WFP_BYTE_ARRAY16_TYPE && field->field_type == WFP_FIELD_IP_ADDRESS
                   ? WFP_OK
                   : WFP_E_TYPE_MISMATCH;
    case WFP_SECURITY_DESCRIPTOR_TYPE:
        /* An SD is matched by access check against the token at classify time. */
        return is_token_type(field->data_type) ? WFP_OK : WFP_E_TYPE_MISMATCH;
    case WFP_SID:
        /* Enumeration templates name a SID the token must contain [I]. */
        return use == SIM_CONDITIONS_TEMPLATE && is_token_type(field->data_type) ? WFP_OK
                                                                                 : WFP_E_TYPE_MISMATCH;
    default:
        return WFP_E_TYPE_MISMATCH;
    }
}

/* §5.2: which match types a value type allows. */
static int match_allowed(uint32_t match, const wfp_condition_value0 *v)
{
    uint32_t type = v->type;
    if (type == WFP_RANGE_TYPE)
        return match == WFP_MATCH_RANGE && is_sortable(v->rangeValue->valueLow.type);
    switch (match) {
    case WFP_MATCH_EQUAL:
        return 1;
    case WFP_MATCH_GREATER:
    case WFP_MATCH_LESS:
    case WFP_MATCH_GREATER_OR_EQUAL:
    case WFP_MATCH_LESS_OR_EQUAL:
    case WFP_MATCH_NOT_EQUAL:
        return is_sortable(type);
    case WFP_MATCH_RANGE:
        return 0; /* needs an FWP_RANGE_TYPE value */
    case WFP_MATCH_FLAGS_ALL_SET:
    case WFP_MATCH_FLAGS_ANY_SET:
    case WFP_MATCH_FLAGS_NONE_SET:
        return is_unsigned(type);
    case WFP_MATCH_EQUAL_CASE_INSENSITIVE:
        return type == WFP_UNICODE_STRING_TYPE;
    case WFP_MATCH_PREFIX:
    case WFP_MATCH_NOT_PREFIX:
        return type == WFP_BYTE_BLOB_TYPE || type == WFP_UNICODE_STRING_TYPE;
    default:
        return 0;
    }
}

static int sid_valid(const wfp_sid *sid)
{
    return sid->Revision == 1 && sid->SubAuthorityCount <= SID_MAX_SUB_AUTHORITIES;
}

static int sd_self_relative(const wfp_byte_blob *sd)
{
    if (sd->size < SD_HEADER_SIZE || sd->data[0] != 1)
        return 0;
    uint16_t control = (uint16_t)(sd->data[2] | (sd->data[3] << 8));
    if (!(control & SE_SELF_RELATIVE))
        return 0;
    for (int i = 0; i < 4; i++) {
        const uint8_t *p = sd->data + 4 + 4 * i;
        uint32_t off = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
        if (off != 0 && (off < SD_HEADER_SIZE || off >= sd->size))
            return 0;
    }
    return 1;
}

/* Value contents: range order, masks, SIDs, security descriptors. */
static uint32_t check_value(const wfp_condition_value0 *v)
{
    switch (v->type) {
    case WFP_RANGE_TYPE:
        return sim_value_less_equal(&v->rangeValue->valueLow, &v->rangeValue->valueHigh)
                   ? WFP_OK
                   : WFP_E_INVALID_RANGE;
    case WFP_V4_ADDR_MASK: {
        /* Contiguous: the inverted mask is of the form 0...01...1. */
        uint32_t inverted = ~v->v4AddrMask->mask;
        return (inverted & (inverted + 1u)) == 0 ? WFP_OK : WFP_E_INVALID_NET_MASK;
    }
    case WFP_V6_ADDR_MASK:
        return v->v6AddrMask->prefixLength <= 128 ? WFP_OK : WFP_E_INVALID_NET_MASK;
    case WFP_SID:
        return sid_valid(v->sid) ? WFP_OK : WFP_E_INVALID_PARAMETER;
    case WFP_TOKEN_INFORMATION_TYPE: {
        const wfp_token_information *t = v->tokenInformation;
        for (uint32_t i = 0; i < t->sidCount; i++)
            if (!sid_valid(t->sids[i].Sid))
                return WFP_E_INVALID_PARAMETER;
        for (uint32_t i = 0; i < t->restrictedSidCount; i++)
            if (!sid_valid(t->restrictedSids[i].Sid))
                return WFP_E_INVALID_PARAMETER;
        return WFP_OK;
    }
    case WFP_SECURITY_DESCRIPTOR_TYPE:
        return sd_self_relative(v->sd) ? WFP_OK : WFP_ERROR_INVALID_SECURITY_DESCR;
    default:
        return WFP_OK;
    }
}

uint32_t sim_check_conditions_types(const wfp_layer_info *layer, const wfp_filter_condition0 *conds,
                                    const uint16_t *fields, uint32_t n, sim_condition_use use)
{
    for (uint32_t i = 0; i < n; i++) {
        const wfp_filter_condition0 *c = &conds[i];
        const wfp_field_info *field = &layer->fields[fields[i]];
        if (c->matchType >= WFP_MATCH_TYPE_MAX)
            return WFP_E_INVALID_ENUMERATOR;
        uint32_t status = check_type(field, &c->conditionValue, use);
        if (status != WFP_OK)
            return status;
        if (!match_allowed(c->matchType, &c->conditionValue))
            return WFP_E_MATCH_TYPE_MISMATCH;
        status = check_value(&c->conditionValue);
        if (status != WFP_OK)
            return status;
        if (use == SIM_CONDITIONS_TEMPLATE)
            for (uint32_t j = 0; j < i; j++)
                if (sim_guid_equal(&conds[j].fieldKey, &c->fieldKey))
                    return WFP_E_DUPLICATE_CONDITION;
    }
    return WFP_OK;
}
