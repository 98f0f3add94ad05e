/* Compact encoding of condition values inside a filter's allocation, and value ordering. */
#include <string.h>

#include "sim_internal.h"

static size_t round8(size_t n) { return (n + 7u) & ~(size_t)7u; }

int sim_type_is_inline(uint32_t type)
{
    switch (type) {
    case WFP_EMPTY:
    case WFP_UINT8:
    case WFP_UINT16:
    case WFP_UINT32:
    case WFP_UINT64:
    case WFP_INT8:
    case WFP_INT16:
    case WFP_INT32:
    case WFP_INT64:
    case WFP_FLOAT:
    case WFP_DOUBLE:
    case WFP_V4_ADDR_MASK:
        return 1;
    default:
        return 0;
    }
}

/* Width in bits of an ordered type's domain, 0 for unordered ones. */
uint32_t sim_type_bits(uint32_t type)
{
    switch (type) {
    case WFP_UINT8:
    case WFP_INT8:
        return 8;
    case WFP_UINT16:
    case WFP_INT16:
        return 16;
    case WFP_UINT32:
    case WFP_INT32:
        return 32;
    case WFP_UINT64:
    case WFP_INT64:
        return 64;
    case WFP_BYTE_ARRAY16_TYPE:
        return 128;
    default:
        return 0;
    }
}

static size_t sid_size(const wfp_sid *sid) { return 8u + 4u * (size_t)sid->SubAuthorityCount; }

static size_t token_payload_size(const wfp_token_information *t)
{
    size_t n = 8;
    for (uint32_t i = 0; i < t->sidCount; i++)
        n += 8 + sid_size(t->sids[i].Sid);
    for (uint32_t i = 0; i < t->restrictedSidCount; i++)
        n += 8 + sid_size(t->restrictedSids[i].Sid);
    return n;
}

/* Raw payload of an out-of-line non-range value: where it is and how long. */
static const void *raw_payload(const wfp_condition_value0 *v, size_t *len)
{
    switch (v->type) {
    case WFP_BYTE_ARRAY16_TYPE:
        *len = 16;
        return v->byteArray16;
    case WFP_BYTE_ARRAY6_TYPE:
        *len = 6;
        return v->byteArray6;
    case WFP_BYTE_BLOB_TYPE:
    case WFP_SECURITY_DESCRIPTOR_TYPE:
    case WFP_TOKEN_ACCESS_INFORMATION_TYPE:
        *len = v->byteBlob->size;
        return v->byteBlob->data;
    case WFP_UNICODE_STRING_TYPE:
        *len = (wfp_wcslen(v->unicodeString) + 1) * sizeof(wfp_wchar);
        return v->unicodeString;
    case WFP_SID:
        *len = sid_size(v->sid);
        return v->sid;
    case WFP_V6_ADDR_MASK:
        *len = 17;
        return v->v6AddrMask;
    default:
        *len = 0;
        return NULL;
    }
}

size_t sim_encoded_payload_size(const wfp_condition_value0 *v)
{
    if (sim_type_is_inline(v->type))
        return 0;
    if (v->type == WFP_RANGE_TYPE) {
        wfp_condition_value0 low, high;
        sim_value_from_fwp(&v->rangeValue->valueLow, &low);
        sim_value_from_fwp(&v->rangeValue->valueHigh, &high);
        return 2 * sizeof(sim_value) + sim_encoded_payload_size(&low) + sim_encoded_payload_size(&high);
    }
    if (v->type == WFP_TOKEN_INFORMATION_TYPE)
        return round8(token_payload_size(v->tokenInformation));
    size_t len;
    raw_payload(v, &len);
    return round8(len);
}

static void put_u32(uint8_t *p, uint32_t x) { memcpy(p, &x, 4); }

/* Token information as: sidCount, restrictedSidCount, then per SID its attributes, its size and
   its bytes (SIDs are 4-byte multiples, so everything stays aligned). */
static size_t encode_token(uint8_t *out, const wfp_token_information *t)
{
    size_t o = 8;
    put_u32(out, t->sidCount);
    put_u32(out + 4, t->restrictedSidCount);
    for (int pass = 0; pass < 2; pass++) {
        uint32_t n = pass == 0 ? t->sidCount : t->restrictedSidCount;
        const wfp_sid_and_attributes *list = pass == 0 ? t->sids : t->restrictedSids;
        for (uint32_t i = 0; i < n; i++) {
            size_t len = sid_size(list[i].Sid);
            put_u32(out + o, list[i].Attributes);
            put_u32(out + o + 4, (uint32_t)len);
            memcpy(out + o + 8, list[i].Sid, len);
            o += 8 + len;
        }
    }
    return o;
}

uint64_t sim_encode_value(uint8_t *base, size_t *offset, const wfp_condition_value0 *v)
{
    switch (v->type) {
    case WFP_EMPTY:
        return 0;
    case WFP_UINT8:
        return v->uint8;
    case WFP_UINT16:
        return v->uint16;
    case WFP_UINT32:
        return v->uint32;
    case WFP_UINT64:
        return *v->uint64;
    case WFP_INT8:
        return (uint64_t)(int64_t)v->int8;
    case WFP_INT16:
        return (uint64_t)(int64_t)v->int16;
    case WFP_INT32:
        return (uint64_t)(int64_t)v->int32;
    case WFP_INT64:
        return (uint64_t)*v->int64;
    case WFP_FLOAT: {
        uint32_t bits;
        memcpy(&bits, &v->float32, 4);
        return bits;
    }
    case WFP_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, v->double64, 8);
        return bits;
    }
    case WFP_V4_ADDR_MASK:
        return ((uint64_t)v->v4AddrMask->addr << 32) | v->v4AddrMask->mask;
    default:
        break;
    }
    size_t start = *offset;
    size_t len;
    if (v->type == WFP_RANGE_TYPE) {
        wfp_condition_value0 low, high;
        sim_value_from_fwp(&v->rangeValue->valueLow, &low);
        sim_value_from_fwp(&v->rangeValue->valueHigh, &high);
        *offset += 2 * sizeof(sim_value);
        sim_value ends[2];
        memset(ends, 0, sizeof ends);
        ends[0].type = low.type;
        ends[0].bits = sim_encode_value(base, offset, &low);
        ends[1].type = high.type;
        ends[1].bits = sim_encode_value(base, offset, &high);
        memcpy(base + start, ends, sizeof ends);
        len = 2 * sizeof(sim_value);
    } else if (v->type == WFP_TOKEN_INFORMATION_TYPE) {
        len = encode_token(base + start, v->tokenInformation);
        *offset += round8(len);
    } else {
        const void *src = raw_payload(v, &len);
        if (len > 0)
            memcpy(base + start, src, len);
        *offset += round8(len);
    }
    return ((uint64_t)len << 32) | (uint32_t)start;
}

void sim_value_from_fwp(const wfp_value0 *src, wfp_condition_value0 *dst)
{
    /* FWP_VALUE0 and FWP_CONDITION_VALUE0 share the layout of their common members. */
    memset(dst, 0, sizeof *dst);
    dst->type = src->type;
    memcpy((uint8_t *)dst + offsetof(wfp_condition_value0, uint64),
           (const uint8_t *)src + offsetof(wfp_value0, uint64), sizeof(void *));
}

static int compare_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

static int compare_wide(const wfp_wchar *a, size_t alen, const wfp_wchar *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

/* Orders two encoded values of the same sortable type ([I] for arrays: memcmp; blobs: memcmp over
   the common length, shorter first; strings: UTF-16 code units). */
int sim_compare_values(const sim_filter *fa, uint32_t type, uint64_t a, const sim_filter *fb,
                       uint64_t b)
{
    switch (type) {
    case WFP_UINT8:
    case WFP_UINT16:
    case WFP_UINT32:
    case WFP_UINT64:
        return a == b ? 0 : (a < b ? -1 : 1);
    case WFP_INT8:
    case WFP_INT16:
    case WFP_INT32:
    case WFP_INT64:
        return (int64_t)a == (int64_t)b ? 0 : ((int64_t)a < (int64_t)b ? -1 : 1);
    default:
        break;
    }
    uint32_t alen, blen;
    const uint8_t *pa = sim_payload(fa, a, &alen);
    const uint8_t *pb = sim_payload(fb, b, &blen);
    if (type == WFP_UNICODE_STRING_TYPE) {
        /* The stored terminator is not part of the comparison. */
        size_t n = (alen < blen ? alen : blen) / 2 - 1;
        for (size_t i = 0; i < n; i++) {
            uint16_t ua, ub;
            memcpy(&ua, pa + 2 * i, 2);
            memcpy(&ub, pb + 2 * i, 2);
            if (ua != ub)
                return ua < ub ? -1 : 1;
        }
        return alen == blen ? 0 : (alen < blen ? -1 : 1);
    }
    return compare_bytes(pa, alen, pb, blen);
}

/* low <= high for two FWP_VALUE0 of the same sortable type (input side, before encoding). */
int sim_value_less_equal(const wfp_value0 *low, const wfp_value0 *high)
{
    switch (low->type) {
    case WFP_UINT8:
        return low->uint8 <= high->uint8;
    case WFP_UINT16:
        return low->uint16 <= high->uint16;
    case WFP_UINT32:
        return low->uint32 <= high->uint32;
    case WFP_UINT64:
        return *low->uint64 <= *high->uint64;
    case WFP_INT8:
        return low->int8 <= high->int8;
    case WFP_INT16:
        return low->int16 <= high->int16;
    case WFP_INT32:
        return low->int32 <= high->int32;
    case WFP_INT64:
        return *low->int64 <= *high->int64;
    case WFP_BYTE_ARRAY16_TYPE:
        return memcmp(low->byteArray16, high->byteArray16, 16) <= 0;
    case WFP_BYTE_BLOB_TYPE:
        return compare_bytes(low->byteBlob->data, low->byteBlob->size, high->byteBlob->data,
                             high->byteBlob->size) <= 0;
    case WFP_UNICODE_STRING_TYPE:
        return compare_wide(low->unicodeString, wfp_wcslen(low->unicodeString), high->unicodeString,
                            wfp_wcslen(high->unicodeString)) <= 0;
    default:
        return 1;
    }
}

/* Big-endian 128-bit key of an ordered value, so intervals of any width compare bytewise.
   Signed values are biased into unsigned order. */
void sim_ordered_key(const sim_filter *f, uint32_t type, uint64_t bits, uint8_t key[16])
{
    memset(key, 0, 16);
    if (type == WFP_BYTE_ARRAY16_TYPE) {
        uint32_t len;
        memcpy(key, sim_payload(f, bits, &len), 16);
        return;
    }
    uint32_t width = sim_type_bits(type);
    if (type >= WFP_INT8 && type <= WFP_INT64)
        bits ^= 1ull << (width - 1);
    if (width < 64)
        bits &= (1ull << width) - 1;
    for (int i = 0; i < 8; i++)
        key[8 + i] = (uint8_t)(bits >> (56 - 8 * i));
}

/* The smallest (high == 0) or largest key of a width-bit domain. */
void sim_domain_end(uint32_t width, int high, uint8_t key[16])
{
    memset(key, 0, 16);
    if (!high)
        return;
    for (uint32_t bit = 128 - width; bit < 128; bit++)
        key[bit / 8] |= (uint8_t)(1u << (7 - bit % 8));
}

/*
 * Simple case folding for EQUAL_CASE_INSENSITIVE and app ids: ASCII, Latin-1, Latin Extended-A
 * pairs, Greek and Cyrillic capitals map to their lower-case letters.  Nothing else changes
 * (no multi-unit mappings, no locale rules).
 */
wfp_wchar sim_to_lower(wfp_wchar c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? (wfp_wchar)(c + 32) : c;
    if ((c >= 0x00C0 && c <= 0x00DE && c != 0x00D7) || (c >= 0x0391 && c <= 0x03AB && c != 0x03A2) ||
        (c >= 0x0410 && c <= 0x042F))
        return (wfp_wchar)(c + 32);
    if (c >= 0x0400 && c <= 0x040F)
        return (wfp_wchar)(c + 80);
    if (c == 0x0178)
        return 0x00FF;
    if (c >= 0x0100 && c <= 0x017F && c != 0x0130 && c != 0x0131 && c != 0x0138 && c != 0x0149 && c != 0x017F) {
        /* Latin Extended-A alternates capital/small, with the parity flipping at U+0139..U+0148
           and U+0179..U+017E. */
        int odd_capitals = (c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017E);
        if ((c % 2 == 1) == odd_capitals)
            return (wfp_wchar)(c + 1);
        return c;
    }
    return c;
}
