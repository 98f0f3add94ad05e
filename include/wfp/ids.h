/*
 * Identifier tables: every layer, condition field, sublayer, provider and callout GUID, and the
 * fields each layer offers.  The data is generated into src/core/ids.c by tools/gen_ids.py from
 * wfp/data/wfp-ids.tsv; this header is the stable interface to it.
 */
#ifndef WFP_IDS_H
#define WFP_IDS_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wfp_named_guid {
    wfp_guid key;
    const char *name; /* SDK name without its FWPM_<KIND>_ prefix, e.g. "UNIVERSAL" */
} wfp_named_guid;

typedef struct wfp_field_info {
    wfp_guid key;
    const char *name;     /* e.g. "IP_REMOTE_ADDRESS" */
    uint32_t data_type;   /* runtime type of the field at this layer (WFP_UINT32, ...) */
    uint32_t field_type;  /* WFP_FIELD_RAW_DATA / WFP_FIELD_IP_ADDRESS / WFP_FIELD_FLAGS */
    uint16_t index;       /* FWPS field index at this layer */
} wfp_field_info;

typedef struct wfp_layer_info {
    wfp_guid key;
    const char *name; /* e.g. "ALE_AUTH_CONNECT_V4" */
    uint16_t layer_id;
    uint32_t flags;   /* WFP_LAYER_FLAG_* */
    uint8_t is_v6;    /* IP address fields are BYTE_ARRAY16 */
    uint8_t is_ale;
    uint8_t is_user_mode;
    uint32_t num_fields;
    const wfp_field_info *fields;
} wfp_layer_info;

extern const wfp_layer_info wfp_layer_table[];
extern const size_t wfp_layer_count;
extern const wfp_named_guid wfp_condition_table[]; /* every FWPM_CONDITION_* incl. aliases */
extern const size_t wfp_condition_count;
extern const wfp_named_guid wfp_sublayer_table[]; /* built-in sublayers */
extern const size_t wfp_sublayer_count;
extern const wfp_named_guid wfp_provider_table[]; /* built-in providers */
extern const size_t wfp_provider_count;
extern const wfp_named_guid wfp_callout_table[]; /* built-in callouts */
extern const size_t wfp_callout_count;

/* FWPM_SUBLAYER_UNIVERSAL: the default sublayer of every layer. */
extern const wfp_guid WFP_SUBLAYER_UNIVERSAL;

/* Lookups: NULL when unknown.  Layer and field lookups are O(log n). */
const wfp_layer_info *wfp_layer_find(const wfp_guid *key);
const wfp_layer_info *wfp_layer_find_by_name(const char *name);
const wfp_field_info *wfp_layer_field_find(const wfp_layer_info *layer, const wfp_guid *field);
const wfp_named_guid *wfp_named_guid_find(const wfp_named_guid *table, size_t count,
                                          const wfp_guid *key);

#ifdef __cplusplus
}
#endif

#endif /* WFP_IDS_H */
