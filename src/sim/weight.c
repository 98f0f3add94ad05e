/*
 * The 60-bit automatic weight of FWP_EMPTY / FWP_UINT8 filters.  Windows documents only that it
 * grows with "how specific the filter tests the data" (reference §2.3), so this formula is ours
 * [I].  It depends on the filter alone (never on other filters or on insertion order):
 *
 *   auto60 = fields << 52 | precision_sum << 32
 *
 *   fields         number of distinct fields the filter constrains (0..255);
 *   precision_sum  sum over those fields of the field's precision, 0..128 each, where a field's
 *                  precision is the lowest precision among its (ORed) conditions:
 *                    EQUAL (any type, FWP_EMPTY included)      128
 *                    EQUAL_CASE_INSENSITIVE                    120
 *                    V4_ADDR_MASK /n                           4n
 *                    V6_ADDR_MASK /n                           n
 *                    RANGE, GREATER[_OR_EQUAL], LESS[_OR_EQUAL] on integers and BYTE_ARRAY16:
 *                        128 * (leading bits shared by the interval's two ends) / type width
 *                    the same on blobs and strings              16
 *                    PREFIX (a suffix test)                     64 + min(length in units, 63)
 *                    FLAGS_ALL_SET                             128 * set bits / type width
 *                    FLAGS_NONE_SET                             64 * set bits / type width
 *                    FLAGS_ANY_SET                              8
 *                    NOT_EQUAL, NOT_PREFIX                      1
 *
 * So a filter on more fields always outranks one on fewer, and among filters on the same number
 * of fields the narrower one wins.  Relative order of two auto-weighted filters therefore only
 * approximates Windows.
 */
#include <string.h>

#include "sim_internal.h"

static uint32_t popcount64(uint64_t x)
{
    uint32_t n = 0;
    while (x) {
        x &= x - 1;
        n++;
    }
    return n;
}

static uint32_t shared_leading_bits(const uint8_t a[16], const uint8_t b[16], uint32_t width)
{
    uint32_t skip = 128 - width, shared = 0;
    for (uint32_t bit = skip; bit < 128; bit++) {
        uint32_t byte = bit / 8, shift = 7 - bit % 8;
        if (((a[byte] >> shift) & 1) != ((b[byte] >> shift) & 1))
            break;
        shared++;
    }
    return shared;
}

/* Precision of [low, high] in a width-bit domain. */
static uint32_t interval_precision(const uint8_t low[16], const uint8_t high[16], uint32_t width)
{
    return 128u * shared_leading_bits(low, high, width) / width;
}

static uint32_t condition_precision(const sim_filter *f, const sim_cond *c)
{
    uint32_t len;
    switch (c->match) {
    case WFP_MATCH_EQUAL:
        if (c->type == WFP_V4_ADDR_MASK)
            return 4u * popcount64(c->bits & 0xffffffffu);
        if (c->type == WFP_V6_ADDR_MASK)
            return sim_payload(f, c->bits, &len)[16];
        return 128;
    case WFP_MATCH_EQUAL_CASE_INSENSITIVE:
        return 120;
    case WFP_MATCH_NOT_EQUAL:
    case WFP_MATCH_NOT_PREFIX:
        return 1;
    case WFP_MATCH_PREFIX:
        sim_payload(f, c->bits, &len);
        len = c->type == WFP_UNICODE_STRING_TYPE ? len / 2 - 1 : len;
        return 64 + (len < 63 ? len : 63);
    case WFP_MATCH_FLAGS_ALL_SET:
        return 128u * popcount64(c->bits) / sim_type_bits(c->type);
    case WFP_MATCH_FLAGS_NONE_SET:
        return 64u * popcount64(c->bits) / sim_type_bits(c->type);
    case WFP_MATCH_FLAGS_ANY_SET:
        return 8;
    default:
        break;
    }
    /* Interval tests. */
    uint32_t type = c->type;
    uint8_t low[16], high[16];
    if (c->match == WFP_MATCH_RANGE) {
        const sim_value *ends = (const sim_value *)(const void *)sim_payload(f, c->bits, &len);
        type = ends[0].type;
        if (sim_type_bits(type) == 0)
            return 16;
        sim_ordered_key(f, type, ends[0].bits, low);
        sim_ordered_key(f, type, ends[1].bits, high);
    } else {
        if (sim_type_bits(type) == 0)
            return 16;
        int upper = c->match == WFP_MATCH_GREATER || c->match == WFP_MATCH_GREATER_OR_EQUAL;
        sim_ordered_key(f, type, c->bits, upper ? low : high);
        sim_domain_end(sim_type_bits(type), upper, upper ? high : low);
    }
    return interval_precision(low, high, sim_type_bits(type));
}

/* The usual condition, an exact value, without the call. */
static uint32_t precision_of(const sim_filter *f, const sim_cond *c)
{
    if (c->match == WFP_MATCH_EQUAL && c->type != WFP_V4_ADDR_MASK && c->type != WFP_V6_ADDR_MASK)
        return 128;
    return condition_precision(f, c);
}

uint64_t sim_auto_weight(const sim_filter *f)
{
    const sim_cond *c = f->conditions;
    uint32_t n = f->num_conditions;
    uint64_t fields = 0, precision_sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t field = c[i].field, j = 0;
        while (j < i && c[j].field != field)
            j++;
        if (j < i)
            continue; /* counted with the field's first condition */
        uint32_t precision = precision_of(f, &c[i]);
        for (j = i + 1; j < n; j++)
            if (c[j].field == field) {
                uint32_t p = precision_of(f, &c[j]);
                if (p < precision)
                    precision = p;
            }
        fields++;
        precision_sum += precision;
    }
    if (fields > 255)
        fields = 255;
    return (fields << 52) | (precision_sum << 32);
}
