/*
 * Prints every row of the generated identifier and error tables, and the result of every lookup,
 * as tab-separated lines; tests/unit/test_ids_c.py compares them with the TSVs in wfp/data.
 * Line kinds:
 *   layer  GUID NAME LAYER_ID FLAGS IS_V6 IS_ALE IS_USER_MODE NUM_FIELDS FOUND_BY_KEY FOUND_BY_NAME
 *   field  LAYER INDEX GUID NAME DATA_TYPE FIELD_TYPE FOUND_INDEX FOUND_IN_COPY_INDEX
 *   stand_in LAYER FIELD_NAME_OR_-        (what the ALE_REAUTH_REASON GUID resolves to at LAYER)
 *   condition|sublayer|provider|callout GUID NAME FOUND_NAME
 *   universal GUID
 *   error CODE NAME MESSAGE             (every code in the scanned ranges that has a name)
 *   macro NAME VALUE
 *   check NAME 0|1                       (1: the lookup behaved as expected)
 */
#include <stdio.h>
#include <string.h>

#include "wfp/errors.h"
#include "wfp/ids.h"

static void print_guid(const wfp_guid *g)
{
    printf("%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned)g->Data1,
           (unsigned)g->Data2, (unsigned)g->Data3, g->Data4[0], g->Data4[1], g->Data4[2],
           g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

static long field_index(const wfp_field_info *field)
{
    return field ? (long)field->index : -1;
}

static void print_named(const char *kind, const wfp_named_guid *table, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const wfp_named_guid *found = wfp_named_guid_find(table, count, &table[i].key);
        printf("%s\t", kind);
        print_guid(&table[i].key);
        printf("\t%s\t%s\n", table[i].name, found ? found->name : "-");
    }
}

static void print_layers(void)
{
    /* ALE_REAUTH_REASON, which has no run-time field of its own. */
    const wfp_guid reauth_reason = {0xb482d227u, 0x1979u, 0x4a98u,
                                    {0x80, 0x44, 0x18, 0xbb, 0xe6, 0x23, 0x75, 0x42}};
    for (size_t i = 0; i < wfp_layer_count; i++) {
        const wfp_layer_info *layer = &wfp_layer_table[i];
        wfp_layer_info copy = *layer;
        printf("layer\t");
        print_guid(&layer->key);
        printf("\t%s\t%u\t%u\t%u\t%u\t%u\t%u\t%d\t%d\n", layer->name, (unsigned)layer->layer_id,
               (unsigned)layer->flags, layer->is_v6, layer->is_ale, layer->is_user_mode,
               (unsigned)layer->num_fields, wfp_layer_find(&layer->key) == layer,
               wfp_layer_find_by_name(layer->name) == layer);
        for (uint32_t n = 0; n < layer->num_fields; n++) {
            const wfp_field_info *field = &layer->fields[n];
            printf("field\t%s\t%u\t", layer->name, (unsigned)field->index);
            print_guid(&field->key);
            printf("\t%s\t%u\t%u\t%ld\t%ld\n", field->name, (unsigned)field->data_type,
                   (unsigned)field->field_type, field_index(wfp_layer_field_find(layer, &field->key)),
                   field_index(wfp_layer_field_find(&copy, &field->key)));
        }
        const wfp_field_info *stand_in = wfp_layer_field_find(layer, &reauth_reason);
        printf("stand_in\t%s\t%s\n", layer->name, stand_in ? stand_in->name : "-");
    }
}

static void print_errors(void)
{
    static const struct {
        uint32_t first, last;
    } ranges[] = {{0, 0xFFFF}, {0x80320000u, 0x803201FFu}, {0xE0320000u, 0xE03200FFu}};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        for (uint32_t code = ranges[r].first; code <= ranges[r].last; code++) {
            const char *name = wfp_error_name(code), *message = wfp_error_message(code);
            if (!name != !message)
                printf("check\tname_and_message_agree_0x%08X\t0\n", (unsigned)code);
            if (name)
                printf("error\t0x%08X\t%s\t%s\n", (unsigned)code, name, message);
        }
    }
    printf("macro\tWFP_OK\t%u\n", (unsigned)WFP_OK);
    printf("macro\tWFP_E_ALREADY_EXISTS\t%u\n", (unsigned)WFP_E_ALREADY_EXISTS);
    printf("macro\tWFP_E_DROP_NOICMP\t%u\n", (unsigned)WFP_E_DROP_NOICMP);
    printf("macro\tWFP_ERROR_ACCESS_DENIED\t%u\n", (unsigned)WFP_ERROR_ACCESS_DENIED);
    printf("macro\tWFP_ERROR_RPC_S_CANNOT_SUPPORT\t%u\n", (unsigned)WFP_ERROR_RPC_S_CANNOT_SUPPORT);
    printf("macro\tWFPKIT_E_SESSION_CLOSED\t%u\n", (unsigned)WFPKIT_E_SESSION_CLOSED);
}

static void print_checks(void)
{
    const wfp_guid unknown = {0x01234567u, 0x89ab, 0xcdef, {1, 2, 3, 4, 5, 6, 7, 8}};
    const wfp_layer_info *ipv4_in = wfp_layer_find_by_name("INBOUND_IPPACKET_V4");
    const wfp_layer_info *connect = wfp_layer_find_by_name("ALE_AUTH_CONNECT_V4");
    wfp_layer_info stranger = {unknown, "STRANGER", 0, 0, 0, 0, 0, 0, NULL};
    printf("check\tunknown_layer_key\t%d\n", wfp_layer_find(&unknown) == NULL);
    printf("check\tnull_layer_key\t%d\n", wfp_layer_find(NULL) == NULL);
    printf("check\tunknown_layer_name\t%d\n", wfp_layer_find_by_name("NO_SUCH_LAYER") == NULL);
    printf("check\tprefixed_layer_name\t%d\n",
           wfp_layer_find_by_name("FWPM_LAYER_ALE_AUTH_CONNECT_V4") == NULL);
    printf("check\tnull_layer_name\t%d\n", wfp_layer_find_by_name(NULL) == NULL);
    printf("check\tunknown_field\t%d\n", wfp_layer_field_find(connect, &unknown) == NULL);
    printf("check\tnull_field\t%d\n", wfp_layer_field_find(connect, NULL) == NULL);
    printf("check\tnull_layer_field\t%d\n", wfp_layer_field_find(NULL, &connect->fields[0].key) == NULL);
    /* ALE_APP_ID exists at ALE_AUTH_CONNECT_V4 but not at INBOUND_IPPACKET_V4. */
    printf("check\tfield_of_other_layer\t%d\n",
           wfp_layer_field_find(ipv4_in, &connect->fields[0].key) == NULL);
    printf("check\tfield_of_stranger_layer\t%d\n",
           wfp_layer_field_find(&stranger, &connect->fields[0].key) == NULL);
    printf("check\tunknown_named_guid\t%d\n",
           wfp_named_guid_find(wfp_condition_table, wfp_condition_count, &unknown) == NULL);
    printf("check\tnull_named_table\t%d\n", wfp_named_guid_find(NULL, 5, &unknown) == NULL);
    printf("check\tnull_named_key\t%d\n",
           wfp_named_guid_find(wfp_sublayer_table, wfp_sublayer_count, NULL) == NULL);
}

int main(void)
{
    print_layers();
    print_named("condition", wfp_condition_table, wfp_condition_count);
    print_named("sublayer", wfp_sublayer_table, wfp_sublayer_count);
    print_named("provider", wfp_provider_table, wfp_provider_count);
    print_named("callout", wfp_callout_table, wfp_callout_count);
    printf("universal\t");
    print_guid(&WFP_SUBLAYER_UNIVERSAL);
    printf("\n");
    print_errors();
    print_checks();
    return 0;
}
