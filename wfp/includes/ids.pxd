# Extern declarations of include/wfp/ids.h: the layer, field and named-GUID tables.
from libc.stdint cimport uint8_t, uint16_t, uint32_t

from wfp.includes.abi cimport wfp_guid

cdef extern from "wfp/ids.h" nogil:
    ctypedef struct wfp_named_guid:
        wfp_guid key
        const char *name

    ctypedef struct wfp_field_info:
        wfp_guid key
        const char *name
        uint32_t data_type
        uint32_t field_type
        uint16_t index

    ctypedef struct wfp_layer_info:
        wfp_guid key
        const char *name
        uint16_t layer_id
        uint32_t flags
        uint8_t is_v6
        uint8_t is_ale
        uint8_t is_user_mode
        uint32_t num_fields
        const wfp_field_info *fields

    const wfp_layer_info wfp_layer_table[]
    const size_t wfp_layer_count
    const wfp_named_guid wfp_condition_table[]
    const size_t wfp_condition_count
    const wfp_named_guid wfp_sublayer_table[]
    const size_t wfp_sublayer_count
    const wfp_named_guid wfp_provider_table[]
    const size_t wfp_provider_count
    const wfp_named_guid wfp_callout_table[]
    const size_t wfp_callout_count

    const wfp_guid WFP_SUBLAYER_UNIVERSAL

    const wfp_layer_info *wfp_layer_find(const wfp_guid *key)
    const wfp_layer_info *wfp_layer_find_by_name(const char *name)
    const wfp_field_info *wfp_layer_field_find(const wfp_layer_info *layer, const wfp_guid *field)
    const wfp_named_guid *wfp_named_guid_find(const wfp_named_guid *table, size_t count,
                                              const wfp_guid *key)
