/* Providers, sublayers and filters of the embedded engine: adds, gets, deletes, validation codes,
   lifetimes, built-ins, weights and deep copies. */
#include <stdlib.h>
#include <string.h>

#include "test_sim.h"

static wfp_sim_engine *new_engine(void)
{
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(NULL, &e));
    return e;
}

static wfp_guid L_CONNECT_V4, L_CONNECT_V6, L_MAC, L_IKEEXT;
static wfp_guid F_REMOTE_ADDR, F_REMOTE_PORT, F_PROTOCOL, F_APP_ID, F_USER_ID, F_FLAGS, F_LOCAL_IF,
    F_PACKAGE_ID, F_MAC_LOCAL;

static void init_keys(void)
{
    L_CONNECT_V4 = test_layer("ALE_AUTH_CONNECT_V4");
    L_CONNECT_V6 = test_layer("ALE_AUTH_CONNECT_V6");
    L_MAC = test_layer("INBOUND_MAC_FRAME_ETHERNET");
    L_IKEEXT = test_layer("IKEEXT_V4");
    F_REMOTE_ADDR = test_field("IP_REMOTE_ADDRESS");
    F_REMOTE_PORT = test_field("IP_REMOTE_PORT");
    F_PROTOCOL = test_field("IP_PROTOCOL");
    F_APP_ID = test_field("ALE_APP_ID");
    F_USER_ID = test_field("ALE_USER_ID");
    F_FLAGS = test_field("FLAGS");
    F_LOCAL_IF = test_field("IP_LOCAL_INTERFACE");
    F_PACKAGE_ID = test_field("ALE_PACKAGE_ID");
    F_MAC_LOCAL = test_field("MAC_LOCAL_ADDRESS");
}

static wfp_filter_condition0 cond_u16(const wfp_guid *field, uint32_t match, uint16_t v)
{
    wfp_filter_condition0 c;
    memset(&c, 0, sizeof c);
    c.fieldKey = *field;
    c.matchType = match;
    c.conditionValue.type = WFP_UINT16;
    c.conditionValue.uint16 = v;
    return c;
}

static wfp_filter_condition0 cond_u8(const wfp_guid *field, uint32_t match, uint8_t v)
{
    wfp_filter_condition0 c;
    memset(&c, 0, sizeof c);
    c.fieldKey = *field;
    c.matchType = match;
    c.conditionValue.type = WFP_UINT8;
    c.conditionValue.uint8 = v;
    return c;
}

static uint32_t add_with(wfp_handle h, const wfp_guid *layer, wfp_filter_condition0 *conds, uint32_t n,
                         uint64_t *id)
{
    wfp_filter0 f = test_filter(layer, "f");
    f.numFilterConditions = n;
    f.filterCondition = conds;
    return B->filter_add(h, &f, NULL, id);
}

/* ---------------------------------------------------------------------------------------------- */

static void builtins(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid universal = test_sublayer("UNIVERSAL");
    CHECK(wfp_guid_equal(&universal, &WFP_SUBLAYER_UNIVERSAL));
    wfp_sublayer0 *s = NULL;
    CHECK_OK(B->sublayer_get_by_key(h, &universal, &s));
    CHECK(s != NULL && s->weight == 0x8000 && test_wstr_eq(s->displayData.name, "UNIVERSAL"));
    B->free_memory((void **)&s);
    CHECK(s == NULL);
    wfp_guid inspection = test_sublayer("INSPECTION");
    CHECK_OK(B->sublayer_get_by_key(h, &inspection, &s));
    CHECK(s != NULL && s->weight == 0);
    B->free_memory((void **)&s);
    CHECK_CODE(B->sublayer_delete_by_key(h, &universal), WFP_E_BUILTIN_OBJECT);
    wfp_guid ikeext = test_provider_builtin("IKEEXT");
    wfp_provider0 *p = NULL;
    CHECK_OK(B->provider_get_by_key(h, &ikeext, &p));
    CHECK(p != NULL && wfp_guid_equal(&p->providerKey, &ikeext));
    B->free_memory((void **)&p);
    CHECK_CODE(B->provider_delete_by_key(h, &ikeext), WFP_E_BUILTIN_OBJECT);
    CHECK_CODE(test_add_sublayer(h, &universal, NULL, 1, 0), WFP_E_ALREADY_EXISTS);
    CHECK_CODE(test_add_provider(h, &ikeext, 0), WFP_E_ALREADY_EXISTS);
    wfp_sim_stats st;
    wfp_sim_engine_stats(e, &st);
    CHECK(st.sublayers >= 17 && st.providers >= 9 && st.filters == 0 && st.sessions == 1);
    CHECK_OK(B->engine_close(h));
    wfp_sim_engine_release(e);
}

static void provider_lifecycle(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid key = test_guid(1);
    uint8_t data[3] = {1, 2, 3};
    wfp_wchar name[8], service[8];
    memcpy(name, test_w("Contoso"), 8 * sizeof *name);
    memcpy(service, test_w("svc"), 4 * sizeof *service);
    wfp_provider0 in;
    memset(&in, 0, sizeof in);
    in.providerKey = key;
    in.displayData.name = name;
    in.serviceName = service;
    in.providerData.size = 3;
    in.providerData.data = data;
    CHECK_OK(B->provider_add(h, &in, NULL));
    /* The engine copied everything: scribbling over the input changes nothing. */
    name[0] = 'X';
    data[0] = 9;
    service[0] = 'Z';
    wfp_provider0 *got = NULL;
    CHECK_OK(B->provider_get_by_key(h, &key, &got));
    CHECK(got != NULL);
    if (got != NULL) {
        CHECK(test_wstr_eq(got->displayData.name, "Contoso"));
        CHECK(test_wstr_eq(got->serviceName, "svc"));
        CHECK(got->displayData.description == NULL);
        CHECK(got->providerData.size == 3 && got->providerData.data[0] == 1 && got->providerData.data[2] == 3);
        CHECK(got->providerData.data != data);
    }
    B->free_memory((void **)&got);
    CHECK(got == NULL);
    CHECK_CODE(B->provider_add(h, &in, NULL), WFP_E_ALREADY_EXISTS);
    in.providerKey = test_guid(2);
    in.displayData.name = NULL;
    CHECK_CODE(B->provider_add(h, &in, NULL), WFP_E_NULL_DISPLAY_NAME);
    in.displayData.name = name;
    in.flags = WFP_PROVIDER_FLAG_DISABLED;
    CHECK_CODE(B->provider_add(h, &in, NULL), WFP_E_INVALID_FLAGS);
    in.flags = 0;
    in.providerData.data = NULL;
    CHECK_CODE(B->provider_add(h, &in, NULL), WFP_E_NULL_POINTER);
    CHECK_CODE(B->provider_add(h, NULL, NULL), WFP_E_NULL_POINTER);
    wfp_guid unknown = test_guid(99);
    CHECK_CODE(B->provider_delete_by_key(h, &unknown), WFP_E_PROVIDER_NOT_FOUND);
    CHECK_CODE(B->provider_get_by_key(h, &unknown, &got), WFP_E_PROVIDER_NOT_FOUND);
    CHECK(got == NULL);

    /* A zero key makes the engine generate one. */
    wfp_provider0 anon;
    memset(&anon, 0, sizeof anon);
    anon.displayData.name = (wfp_wchar *)test_w("anon");
    wfp_sim_stats before, after;
    wfp_sim_engine_stats(e, &before);
    CHECK_OK(B->provider_add(h, &anon, NULL));
    CHECK_OK(B->provider_add(h, &anon, NULL)); /* a second zero key is another new object */
    wfp_sim_engine_stats(e, &after);
    CHECK(after.providers == before.providers + 2);

    /* In use by a sublayer and a filter: FWP_E_IN_USE until both are gone. */
    wfp_guid sub = test_guid(3);
    CHECK_OK(test_add_sublayer(h, &sub, &key, 10, 0));
    CHECK_CODE(B->provider_delete_by_key(h, &key), WFP_E_IN_USE);
    CHECK_OK(B->sublayer_delete_by_key(h, &sub));
    wfp_filter0 f = test_filter(&L_CONNECT_V4, "f");
    f.providerKey = &key;
    uint64_t id = 0;
    CHECK_OK(B->filter_add(h, &f, NULL, &id));
    CHECK_CODE(B->provider_delete_by_key(h, &key), WFP_E_IN_USE);
    CHECK_OK(B->filter_delete_by_id(h, id));
    CHECK_OK(B->provider_delete_by_key(h, &key));
    CHECK_CODE(B->provider_get_by_key(h, &key, &got), WFP_E_PROVIDER_NOT_FOUND);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

static void sublayer_lifecycle(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid key = test_guid(10), prov = test_guid(11), unknown = test_guid(12);
    CHECK_OK(test_add_provider(h, &prov, 0));
    CHECK_CODE(test_add_sublayer(h, &key, &unknown, 5, 0), WFP_E_PROVIDER_NOT_FOUND);
    CHECK_CODE(test_add_sublayer(h, &key, NULL, 5, 0x2), WFP_E_INVALID_FLAGS);
    CHECK_OK(test_add_sublayer(h, &key, &prov, 0xBEEF, 0));
    CHECK_CODE(test_add_sublayer(h, &key, NULL, 5, 0), WFP_E_ALREADY_EXISTS);
    wfp_sublayer0 in;
    memset(&in, 0, sizeof in);
    in.subLayerKey = test_guid(13);
    CHECK_CODE(B->sublayer_add(h, &in, NULL), WFP_E_NULL_DISPLAY_NAME);
    CHECK_CODE(B->sublayer_add(h, NULL, NULL), WFP_E_NULL_POINTER);
    wfp_sublayer0 *got = NULL;
    CHECK_OK(B->sublayer_get_by_key(h, &key, &got));
    CHECK(got != NULL && got->weight == 0xBEEF && got->providerKey != NULL &&
          wfp_guid_equal(got->providerKey, &prov) && test_wstr_eq(got->displayData.name, "sublayer"));
    B->free_memory((void **)&got);
    wfp_filter0 f = test_filter(&L_CONNECT_V4, "f");
    f.subLayerKey = key;
    uint64_t id;
    CHECK_OK(B->filter_add(h, &f, NULL, &id));
    CHECK_CODE(B->sublayer_delete_by_key(h, &key), WFP_E_IN_USE);
    CHECK_OK(B->filter_delete_by_id(h, id));
    CHECK_OK(B->sublayer_delete_by_key(h, &key));
    CHECK_CODE(B->sublayer_delete_by_key(h, &key), WFP_E_SUBLAYER_NOT_FOUND);
    CHECK_CODE(B->sublayer_get_by_key(h, &key, &got), WFP_E_SUBLAYER_NOT_FOUND);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* Each FwpmFilterAdd0 failure of reference §3.6, one at a time. */
static void filter_validation(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid unknown = test_guid(77);
    wfp_filter0 f;
    uint64_t id = 0;

    CHECK_CODE(B->filter_add(h, NULL, NULL, &id), WFP_E_NULL_POINTER);
    f = test_filter(&L_CONNECT_V4, "f");
    f.displayData.name = NULL;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_NULL_DISPLAY_NAME);
    f = test_filter(&unknown, "f");
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_LAYER_NOT_FOUND);
    f = test_filter(&L_CONNECT_V4, "f");
    f.subLayerKey = unknown;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_SUBLAYER_NOT_FOUND);
    f = test_filter(&L_CONNECT_V4, "f");
    f.providerKey = &unknown;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_PROVIDER_NOT_FOUND);

    /* actions */
    f = test_filter(&L_CONNECT_V4, "f");
    f.action.type = WFP_ACTION_CONTINUE;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_ACTION_TYPE);
    f.action.type = 0x1234;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_ACTION_TYPE);
    f.action.type = WFP_ACTION_CALLOUT_TERMINATING;
    f.action.calloutKey = unknown;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_CALLOUT_NOT_FOUND);
    f.action.calloutKey = test_callout("WFP_TRANSPORT_LAYER_V4_SILENT_DROP");
    CHECK_OK(B->filter_add(h, &f, NULL, &id));
    f.action.type = WFP_ACTION_CALLOUT_INSPECTION;
    f.flags = WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_FLAGS);
    f.action.type = WFP_ACTION_CALLOUT_UNKNOWN;
    CHECK_OK(B->filter_add(h, &f, NULL, &id));

    /* flags */
    f = test_filter(&L_CONNECT_V4, "f");
    f.flags = WFP_FILTER_FLAG_PERSISTENT | WFP_FILTER_FLAG_BOOTTIME;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_FLAGS);
    f.flags = WFP_FILTER_FLAG_DISABLED;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_FLAGS);
    f.flags = 0x1000;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_FLAGS);
    f.flags = WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED; /* BLOCK is not a callout action */
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_FLAGS);
    f.flags = WFP_FILTER_FLAG_BOOTTIME;
    CHECK_OK(B->filter_add(h, &f, NULL, &id));
    f = test_filter(&L_IKEEXT, "f");
    f.flags = WFP_FILTER_FLAG_BOOTTIME; /* IKEEXT is a user-mode layer */
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INCOMPATIBLE_LAYER);
    f = test_filter(&L_CONNECT_V4, "f");
    wfp_guid reserved = test_guid(5);
    f.reserved = &reserved;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_RESERVED);
    f = test_filter(&L_CONNECT_V4, "f");
    f.flags = WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT;
    f.providerContextKey = unknown;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_PROVIDER_CONTEXT_NOT_FOUND);

    /* weights */
    f = test_filter(&L_CONNECT_V4, "f");
    f.weight.type = WFP_UINT8;
    f.weight.uint8 = 16;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_WEIGHT);
    f.weight.type = WFP_UINT32;
    f.weight.uint32 = 1;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_WEIGHT);
    f.weight.type = WFP_UINT64;
    f.weight.uint64 = NULL;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_NULL_POINTER);

    /* conditions */
    wfp_filter_condition0 c[2];
    c[0] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_EQUAL, 80);
    f = test_filter(&L_CONNECT_V4, "f");
    f.numFilterConditions = 1;
    f.filterCondition = NULL;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_NULL_POINTER);
    c[0] = cond_u16(&F_MAC_LOCAL, WFP_MATCH_EQUAL, 80); /* not a field of ALE_AUTH_CONNECT_V4 */
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_CONDITION_NOT_FOUND);
    c[0] = cond_u8(&F_REMOTE_PORT, WFP_MATCH_EQUAL, 80); /* port is UINT16 */
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_TYPE_MISMATCH);
    c[0] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_TYPE_MAX, 80);
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_INVALID_ENUMERATOR);
    c[0] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_EQUAL_CASE_INSENSITIVE, 80);
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_MATCH_TYPE_MISMATCH);
    c[0] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_PREFIX, 80);
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_MATCH_TYPE_MISMATCH);
    c[0] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_RANGE, 80); /* RANGE needs a range value */
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_MATCH_TYPE_MISMATCH);
    c[0] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_FLAGS_ALL_SET, 0x3);
    CHECK_OK(add_with(h, &L_CONNECT_V4, c, 1, &id));
    c[0] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_GREATER, 1024);
    CHECK_OK(add_with(h, &L_CONNECT_V4, c, 1, &id));

    /* ranges */
    wfp_range0 range;
    memset(&range, 0, sizeof range);
    range.valueLow.type = WFP_UINT16;
    range.valueLow.uint16 = 100;
    range.valueHigh.type = WFP_UINT16;
    range.valueHigh.uint16 = 200;
    memset(&c[0], 0, sizeof c[0]);
    c[0].fieldKey = F_REMOTE_PORT;
    c[0].matchType = WFP_MATCH_RANGE;
    c[0].conditionValue.type = WFP_RANGE_TYPE;
    c[0].conditionValue.rangeValue = &range;
    CHECK_OK(add_with(h, &L_CONNECT_V4, c, 1, &id));
    c[0].matchType = WFP_MATCH_EQUAL;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_MATCH_TYPE_MISMATCH);
    c[0].matchType = WFP_MATCH_RANGE;
    range.valueLow.uint16 = 300;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_INVALID_RANGE);
    range.valueLow.type = WFP_UINT32;
    range.valueLow.uint32 = 1;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_INVALID_RANGE); /* mixed types */
    range.valueHigh.type = WFP_UINT32;
    range.valueHigh.uint32 = 2;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_TYPE_MISMATCH); /* ends not UINT16 */
    c[0].conditionValue.rangeValue = NULL;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_NULL_POINTER);

    /* address masks */
    wfp_v4_addr_and_mask v4 = {0x0A000000u, 0xFF000000u};
    memset(&c[0], 0, sizeof c[0]);
    c[0].fieldKey = F_REMOTE_ADDR;
    c[0].matchType = WFP_MATCH_EQUAL;
    c[0].conditionValue.type = WFP_V4_ADDR_MASK;
    c[0].conditionValue.v4AddrMask = &v4;
    CHECK_OK(add_with(h, &L_CONNECT_V4, c, 1, &id));
    v4.mask = 0xFF00FF00u;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_INVALID_NET_MASK);
    v4.mask = 0xFFFFFF00u;
    c[0].fieldKey = F_REMOTE_PORT; /* a mask on a non-address field */
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_TYPE_MISMATCH);
    c[0].fieldKey = F_REMOTE_ADDR;
    c[0].matchType = WFP_MATCH_GREATER;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_MATCH_TYPE_MISMATCH);
    c[0].matchType = WFP_MATCH_EQUAL;
    c[0].conditionValue.v4AddrMask = NULL;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_NULL_POINTER);
    wfp_v6_addr_and_mask v6;
    memset(&v6, 0, sizeof v6);
    v6.addr[0] = 0xfd;
    v6.prefixLength = 8;
    c[0].conditionValue.type = WFP_V6_ADDR_MASK;
    c[0].conditionValue.v6AddrMask = &v6;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_TYPE_MISMATCH); /* V4 layer */
    CHECK_OK(add_with(h, &L_CONNECT_V6, c, 1, &id));
    v6.prefixLength = 129;
    CHECK_CODE(add_with(h, &L_CONNECT_V6, c, 1, &id), WFP_E_INVALID_NET_MASK);

    /* pointer-valued types */
    memset(&c[0], 0, sizeof c[0]);
    c[0].fieldKey = F_LOCAL_IF;
    c[0].matchType = WFP_MATCH_EQUAL;
    c[0].conditionValue.type = WFP_UINT64;
    c[0].conditionValue.uint64 = NULL;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_NULL_POINTER);
    wfp_byte_blob blob = {4, NULL};
    c[0].fieldKey = F_APP_ID;
    c[0].conditionValue.type = WFP_BYTE_BLOB_TYPE;
    c[0].conditionValue.byteBlob = &blob;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_NULL_POINTER);
    c[0].conditionValue.byteBlob = NULL;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_NULL_POINTER);

    /* security descriptors on token fields */
    uint8_t sd_bytes[20] = {1, 0, 0x04, 0x80}; /* revision 1, SE_SELF_RELATIVE | SE_DACL_PRESENT */
    wfp_byte_blob sd = {sizeof sd_bytes, sd_bytes};
    c[0].fieldKey = F_USER_ID;
    c[0].conditionValue.type = WFP_SECURITY_DESCRIPTOR_TYPE;
    c[0].conditionValue.sd = &sd;
    CHECK_OK(add_with(h, &L_CONNECT_V4, c, 1, &id));
    sd_bytes[3] = 0; /* absolute form */
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_ERROR_INVALID_SECURITY_DESCR);
    sd_bytes[3] = 0x80;
    c[0].fieldKey = F_APP_ID; /* an SD on a blob field */
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_TYPE_MISMATCH);
    wfp_sid sid = {1, 1, {{0, 0, 0, 0, 0, 5}}, {18}};
    c[0].fieldKey = F_USER_ID; /* a SID names a token only in enumeration templates */
    c[0].conditionValue.type = WFP_SID;
    c[0].conditionValue.sid = &sid;
    CHECK_CODE(add_with(h, &L_CONNECT_V4, c, 1, &id), WFP_E_TYPE_MISMATCH);
    c[0].fieldKey = F_PACKAGE_ID;
    CHECK_OK(add_with(h, &L_CONNECT_V4, c, 1, &id));

    /* Two conditions on one field are allowed (ORed). */
    c[0] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_EQUAL, 80);
    c[1] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_EQUAL, 443);
    CHECK_OK(add_with(h, &L_CONNECT_V4, c, 2, &id));

    /* Duplicate key. */
    f = test_filter(&L_CONNECT_V4, "f");
    f.filterKey = test_guid(500);
    CHECK_OK(B->filter_add(h, &f, NULL, &id));
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_ALREADY_EXISTS);
    CHECK_CODE(B->filter_delete_by_id(h, 999999), WFP_E_FILTER_NOT_FOUND);
    CHECK_CODE(B->filter_delete_by_key(h, &unknown), WFP_E_FILTER_NOT_FOUND);
    wfp_filter0 *got = NULL;
    CHECK_CODE(B->filter_get_by_id(h, 999999, &got), WFP_E_FILTER_NOT_FOUND);
    CHECK_CODE(B->filter_get_by_key(h, &unknown, &got), WFP_E_FILTER_NOT_FOUND);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* Several failures at once: the check order of §3.6 decides (null pointers, flags, existence,
   types, lifetime, duplicates). */
static void filter_check_order(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_guid unknown = test_guid(78);
    uint64_t id;
    wfp_filter0 f = test_filter(&unknown, "f");
    f.displayData.name = NULL;
    f.flags = 0x1000;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_NULL_DISPLAY_NAME);
    f.displayData.name = (wfp_wchar *)test_w("f");
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_FLAGS);
    f.flags = 0;
    f.action.type = 0x99;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_LAYER_NOT_FOUND);
    f.layerKey = L_CONNECT_V4;
    f.weight.type = WFP_UINT32;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_ACTION_TYPE);
    f.action.type = WFP_ACTION_PERMIT;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFP_E_INVALID_WEIGHT);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* §3.1: persistent -> persistent of the same provider only; static -> no dynamic; dynamic -> no
   other session's dynamic. */
static void lifetimes(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle st = test_open(e, 0, 0);
    wfp_handle dyn = test_open(e, 1, 0);
    wfp_handle dyn2 = test_open(e, 1, 0);
    wfp_guid p_persist = test_guid(1), p_static = test_guid(2), p_dyn = test_guid(3), p_other = test_guid(4);
    CHECK_OK(test_add_provider(st, &p_persist, WFP_PROVIDER_FLAG_PERSISTENT));
    CHECK_OK(test_add_provider(st, &p_other, WFP_PROVIDER_FLAG_PERSISTENT));
    CHECK_OK(test_add_provider(st, &p_static, 0));
    CHECK_OK(test_add_provider(dyn, &p_dyn, 0));
    /* A dynamic session cannot add persistent objects [I]. */
    wfp_guid x = test_guid(5);
    CHECK_CODE(test_add_provider(dyn, &x, WFP_PROVIDER_FLAG_PERSISTENT), WFP_E_DYNAMIC_SESSION_IN_PROGRESS);

    wfp_guid s = test_guid(10);
    CHECK_CODE(test_add_sublayer(st, &s, &p_static, 1, WFP_SUBLAYER_FLAG_PERSISTENT), WFP_E_LIFETIME_MISMATCH);
    CHECK_CODE(test_add_sublayer(st, &s, &p_dyn, 1, 0), WFP_E_LIFETIME_MISMATCH);
    CHECK_CODE(test_add_sublayer(dyn2, &s, &p_dyn, 1, 0), WFP_E_LIFETIME_MISMATCH);
    CHECK_OK(test_add_sublayer(dyn, &s, &p_dyn, 1, 0));
    wfp_guid s_persist = test_guid(11), s_static = test_guid(12);
    CHECK_OK(test_add_sublayer(st, &s_persist, &p_persist, 2, WFP_SUBLAYER_FLAG_PERSISTENT));
    CHECK_OK(test_add_sublayer(st, &s_static, &p_persist, 3, 0)); /* static -> persistent is fine */

    uint64_t id;
    wfp_filter0 f = test_filter(&L_CONNECT_V4, "f");
    f.flags = WFP_FILTER_FLAG_PERSISTENT;
    f.subLayerKey = s_persist;
    f.providerKey = &p_other; /* the sublayer belongs to another provider */
    CHECK_CODE(B->filter_add(st, &f, NULL, &id), WFP_E_LIFETIME_MISMATCH);
    f.providerKey = &p_persist;
    CHECK_OK(B->filter_add(st, &f, NULL, &id));
    f.subLayerKey = s_static;
    CHECK_CODE(B->filter_add(st, &f, NULL, &id), WFP_E_LIFETIME_MISMATCH);
    f.subLayerKey = WFP_GUID_NULL; /* built-ins are referable by anything */
    f.providerKey = &p_static;
    CHECK_CODE(B->filter_add(st, &f, NULL, &id), WFP_E_LIFETIME_MISMATCH);
    f.flags = 0;
    f.subLayerKey = s; /* static filter in a dynamic sublayer */
    f.providerKey = NULL;
    CHECK_CODE(B->filter_add(st, &f, NULL, &id), WFP_E_LIFETIME_MISMATCH);
    CHECK_CODE(B->filter_add(dyn2, &f, NULL, &id), WFP_E_LIFETIME_MISMATCH);
    CHECK_OK(B->filter_add(dyn, &f, NULL, &id));
    f.flags = WFP_FILTER_FLAG_PERSISTENT;
    f.subLayerKey = WFP_GUID_NULL;
    CHECK_CODE(B->filter_add(dyn, &f, NULL, &id), WFP_E_DYNAMIC_SESSION_IN_PROGRESS);
    B->engine_close(dyn2);
    B->engine_close(dyn);
    B->engine_close(st);
    wfp_sim_engine_release(e);
}

/* Delete rules of dynamic sessions: own objects only. */
static void dynamic_delete_rules(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle st = test_open(e, 0, 0);
    wfp_handle dyn = test_open(e, 1, 0);
    wfp_handle dyn2 = test_open(e, 1, 0);
    wfp_filter0 f = test_filter(&L_CONNECT_V4, "f");
    uint64_t static_id, dyn_id, dyn_id2;
    CHECK_OK(B->filter_add(st, &f, NULL, &static_id));
    CHECK_OK(B->filter_add(dyn, &f, NULL, &dyn_id));
    CHECK_OK(B->filter_add(dyn, &f, NULL, &dyn_id2));
    CHECK_CODE(B->filter_delete_by_id(dyn, static_id), WFP_E_DYNAMIC_SESSION_IN_PROGRESS);
    CHECK_CODE(B->filter_delete_by_id(dyn2, dyn_id), WFP_E_WRONG_SESSION);
    CHECK_OK(B->filter_delete_by_id(dyn, dyn_id));
    CHECK_OK(B->filter_delete_by_id(st, dyn_id2)); /* a static session may [I] */
    wfp_guid p = test_guid(1);
    CHECK_OK(test_add_provider(st, &p, 0));
    CHECK_CODE(B->provider_delete_by_key(dyn, &p), WFP_E_DYNAMIC_SESSION_IN_PROGRESS);
    wfp_guid s = test_guid(2);
    CHECK_OK(test_add_sublayer(dyn, &s, NULL, 1, 0));
    CHECK_CODE(B->sublayer_delete_by_key(dyn2, &s), WFP_E_WRONG_SESSION);
    B->engine_close(dyn2);
    B->engine_close(dyn);
    B->engine_close(st);
    wfp_sim_engine_release(e);
}

static uint64_t effective(wfp_handle h, uint64_t id, wfp_value0 *weight_out)
{
    wfp_filter0 *f = NULL;
    uint64_t w = 0;
    if (B->filter_get_by_id(h, id, &f) == WFP_OK) {
        CHECK(f->effectiveWeight.type == WFP_UINT64 && f->effectiveWeight.uint64 != NULL);
        /* The weight lives inside the returned block. */
        CHECK((uint8_t *)f->effectiveWeight.uint64 > (uint8_t *)f &&
              (uint8_t *)f->effectiveWeight.uint64 < (uint8_t *)f + 4096);
        w = *f->effectiveWeight.uint64;
        if (weight_out != NULL) {
            weight_out->type = f->weight.type;
            if (f->weight.type == WFP_UINT8)
                weight_out->uint8 = f->weight.uint8;
        }
        B->free_memory((void **)&f);
    } else {
        CHECK(!"filter_get_by_id failed");
    }
    return w;
}

static void weights(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    uint64_t none, one, three, range_w, exact;
    wfp_filter_condition0 c[3];
    CHECK_OK(add_with(h, &L_CONNECT_V4, NULL, 0, &none));
    c[0] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_EQUAL, 80);
    CHECK_OK(add_with(h, &L_CONNECT_V4, c, 1, &one));
    c[1] = cond_u8(&F_PROTOCOL, WFP_MATCH_EQUAL, 6);
    wfp_v4_addr_and_mask v4 = {0x0A000000u, 0xFF000000u};
    memset(&c[2], 0, sizeof c[2]);
    c[2].fieldKey = F_REMOTE_ADDR;
    c[2].matchType = WFP_MATCH_EQUAL;
    c[2].conditionValue.type = WFP_V4_ADDR_MASK;
    c[2].conditionValue.v4AddrMask = &v4;
    CHECK_OK(add_with(h, &L_CONNECT_V4, c, 3, &three));
    wfp_range0 r;
    memset(&r, 0, sizeof r);
    r.valueLow.type = r.valueHigh.type = WFP_UINT16;
    r.valueLow.uint16 = 1024;
    r.valueHigh.uint16 = 2047;
    memset(&c[0], 0, sizeof c[0]);
    c[0].fieldKey = F_REMOTE_PORT;
    c[0].matchType = WFP_MATCH_RANGE;
    c[0].conditionValue.type = WFP_RANGE_TYPE;
    c[0].conditionValue.rangeValue = &r;
    CHECK_OK(add_with(h, &L_CONNECT_V4, c, 1, &range_w));

    wfp_value0 form;
    uint64_t w_none = effective(h, none, &form);
    CHECK(form.type == WFP_EMPTY);
    uint64_t w_one = effective(h, one, NULL), w_three = effective(h, three, NULL);
    uint64_t w_range = effective(h, range_w, NULL);
    CHECK(w_none == 0);
    CHECK(w_one < (1ull << 60) && w_three < (1ull << 60));
    CHECK(w_three > w_one);          /* more fields constrained */
    CHECK(w_one > w_range);          /* EQUAL is narrower than a 1024-port range */
    CHECK(w_range > w_none);
    /* The documented formula: 1 field << 52 | precision << 32. */
    CHECK(w_one == ((1ull << 52) | (128ull << 32)));
    CHECK(w_range == ((1ull << 52) | ((128ull * 6 / 16) << 32)));
    CHECK(w_three == ((3ull << 52) | ((128ull + 128 + 32) << 32)));

    /* FWP_UINT8 range r puts r in the top four bits above the same automatic weight. */
    wfp_filter0 f = test_filter(&L_CONNECT_V4, "ranged");
    c[0] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_EQUAL, 80);
    f.numFilterConditions = 1;
    f.filterCondition = c;
    f.weight.type = WFP_UINT8;
    f.weight.uint8 = 9;
    uint64_t ranged;
    CHECK_OK(B->filter_add(h, &f, NULL, &ranged));
    uint64_t w_ranged = effective(h, ranged, &form);
    CHECK(w_ranged == ((9ull << 60) | w_one));
    CHECK(form.type == WFP_UINT8 && form.uint8 == 9);
    uint64_t w = 0xFEDCBA9876543210ull;
    f.weight.type = WFP_UINT64;
    f.weight.uint64 = &w;
    CHECK_OK(B->filter_add(h, &f, NULL, &exact));
    CHECK(effective(h, exact, &form) == w);
    CHECK(form.type == WFP_UINT64);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* Ids grow, never repeat, also across deletes and aborted transactions. */
static void filter_ids(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_filter0 f = test_filter(&L_CONNECT_V4, "f");
    uint64_t a, b, c, d;
    CHECK_OK(B->filter_add(h, &f, NULL, &a));
    CHECK_OK(B->filter_add(h, &f, NULL, &b));
    CHECK(b > a);
    CHECK_OK(B->filter_delete_by_id(h, b));
    CHECK_OK(B->transaction_begin(h, 0));
    CHECK_OK(B->filter_add(h, &f, NULL, &c));
    CHECK_OK(B->transaction_abort(h));
    CHECK_OK(B->filter_add(h, &f, NULL, &d));
    CHECK(c > b && d > c);
    wfp_filter0 *got = NULL;
    CHECK_OK(B->filter_get_by_id(h, d, &got));
    CHECK(got != NULL && got->filterId == d);
    /* A zero key was replaced by a generated version-4 GUID. */
    CHECK(got != NULL && !wfp_guid_is_null(&got->filterKey) && (got->filterKey.Data3 >> 12) == 4);
    if (got != NULL) {
        wfp_filter0 *by_key = NULL;
        CHECK_OK(B->filter_get_by_key(h, &got->filterKey, &by_key));
        CHECK(by_key != NULL && by_key->filterId == d);
        B->free_memory((void **)&by_key);
    }
    B->free_memory((void **)&got);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* Every condition type survives add -> get unchanged, in one returned block. */
static void deep_copy_roundtrip(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_filter_condition0 c[9];
    memset(c, 0, sizeof c);
    uint64_t luid = 0x1122334455667788ull;
    c[0].fieldKey = F_LOCAL_IF;
    c[0].conditionValue.type = WFP_UINT64;
    c[0].conditionValue.uint64 = &luid;
    uint8_t app[] = {'\\', 0, 'a', 0, 0, 0};
    wfp_byte_blob app_blob = {sizeof app, app};
    c[1].fieldKey = F_APP_ID;
    c[1].matchType = WFP_MATCH_PREFIX;
    c[1].conditionValue.type = WFP_BYTE_BLOB_TYPE;
    c[1].conditionValue.byteBlob = &app_blob;
    wfp_v4_addr_and_mask v4 = {0xC0A80000u, 0xFFFF0000u};
    c[2].fieldKey = F_REMOTE_ADDR;
    c[2].conditionValue.type = WFP_V4_ADDR_MASK;
    c[2].conditionValue.v4AddrMask = &v4;
    wfp_range0 r;
    memset(&r, 0, sizeof r);
    r.valueLow.type = r.valueHigh.type = WFP_UINT16;
    r.valueLow.uint16 = 10;
    r.valueHigh.uint16 = 20;
    c[3].fieldKey = F_REMOTE_PORT;
    c[3].matchType = WFP_MATCH_RANGE;
    c[3].conditionValue.type = WFP_RANGE_TYPE;
    c[3].conditionValue.rangeValue = &r;
    uint8_t sd_bytes[24] = {1, 0, 0x04, 0x80, 20, 0, 0, 0};
    wfp_byte_blob sd = {sizeof sd_bytes, sd_bytes};
    c[4].fieldKey = F_USER_ID;
    c[4].conditionValue.type = WFP_SECURITY_DESCRIPTOR_TYPE;
    c[4].conditionValue.sd = &sd;
    struct {
        wfp_sid sid;
        uint32_t more[1];
    } sid2 = {{1, 2, {{0, 0, 0, 0, 0, 15}}, {2}}, {99}};
    c[5].fieldKey = F_PACKAGE_ID;
    c[5].conditionValue.type = WFP_SID;
    c[5].conditionValue.sid = &sid2.sid;
    c[6].fieldKey = F_FLAGS;
    c[6].matchType = WFP_MATCH_FLAGS_ANY_SET;
    c[6].conditionValue.type = WFP_UINT32;
    c[6].conditionValue.uint32 = WFP_CONDITION_FLAG_IS_LOOPBACK;
    c[7].fieldKey = F_PROTOCOL;
    c[7].conditionValue.type = WFP_EMPTY;
    c[8] = cond_u16(&F_REMOTE_PORT, WFP_MATCH_NOT_EQUAL, 53);
    wfp_filter0 f = test_filter(&L_CONNECT_V4, "deep");
    f.displayData.description = (wfp_wchar *)test_w("description");
    uint8_t pdata[5] = {5, 4, 3, 2, 1};
    f.providerData.size = 5;
    f.providerData.data = pdata;
    f.numFilterConditions = 9;
    f.filterCondition = c;
    f.action.type = WFP_ACTION_PERMIT;
    f.action.filterType = test_guid(4242);
    f.rawContext = 0xABCDEF;
    f.flags = WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT | WFP_FILTER_FLAG_INDEXED;
    uint64_t id;
    CHECK_OK(B->filter_add(h, &f, NULL, &id));
    memset(app, 'z', sizeof app);
    luid = 0;
    sid2.more[0] = 0;
    wfp_filter0 *g = NULL;
    CHECK_OK(B->filter_get_by_id(h, id, &g));
    if (g == NULL)
        return;
    CHECK(test_wstr_eq(g->displayData.name, "deep") && test_wstr_eq(g->displayData.description, "description"));
    CHECK(g->providerData.size == 5 && g->providerData.data[0] == 5 && g->providerData.data[4] == 1);
    CHECK(g->flags == f.flags && g->action.type == WFP_ACTION_PERMIT);
    wfp_guid tag = test_guid(4242);
    CHECK(wfp_guid_equal(&g->action.filterType, &tag));
    CHECK(g->rawContext == 0xABCDEF);
    CHECK(g->reserved == NULL && g->providerKey == NULL);
    CHECK(wfp_guid_equal(&g->layerKey, &L_CONNECT_V4) && wfp_guid_equal(&g->subLayerKey, &WFP_SUBLAYER_UNIVERSAL));
    CHECK(g->numFilterConditions == 9);
    const wfp_filter_condition0 *gc = g->filterCondition;
    CHECK(gc[0].conditionValue.type == WFP_UINT64 && *gc[0].conditionValue.uint64 == 0x1122334455667788ull);
    CHECK(gc[1].matchType == WFP_MATCH_PREFIX && gc[1].conditionValue.byteBlob->size == 6 &&
          gc[1].conditionValue.byteBlob->data[0] == '\\' && gc[1].conditionValue.byteBlob->data[2] == 'a');
    CHECK(gc[2].conditionValue.v4AddrMask->addr == 0xC0A80000u && gc[2].conditionValue.v4AddrMask->mask == 0xFFFF0000u);
    CHECK(gc[3].conditionValue.rangeValue->valueLow.type == WFP_UINT16 &&
          gc[3].conditionValue.rangeValue->valueLow.uint16 == 10 &&
          gc[3].conditionValue.rangeValue->valueHigh.uint16 == 20);
    CHECK(gc[4].conditionValue.sd->size == 24 && gc[4].conditionValue.sd->data[4] == 20);
    CHECK(gc[5].conditionValue.sid->SubAuthorityCount == 2 && gc[5].conditionValue.sid->SubAuthority[0] == 2);
    CHECK(((const uint32_t *)gc[5].conditionValue.sid->SubAuthority)[1] == 99);
    CHECK(gc[6].matchType == WFP_MATCH_FLAGS_ANY_SET && gc[6].conditionValue.uint32 == 1);
    CHECK(gc[7].conditionValue.type == WFP_EMPTY);
    CHECK(gc[8].matchType == WFP_MATCH_NOT_EQUAL && gc[8].conditionValue.uint16 == 53);
    for (int i = 0; i < 9; i++)
        CHECK(wfp_guid_equal(&gc[i].fieldKey, &c[i].fieldKey));
    B->free_memory((void **)&g);
    CHECK(g == NULL);

    /* IPv6 and MAC values at their layers. */
    wfp_byte_array16 a16;
    for (int i = 0; i < 16; i++)
        a16.byteArray16[i] = (uint8_t)(i * 7);
    memset(c, 0, sizeof c);
    c[0].fieldKey = F_REMOTE_ADDR;
    c[0].conditionValue.type = WFP_BYTE_ARRAY16_TYPE;
    c[0].conditionValue.byteArray16 = &a16;
    CHECK_OK(add_with(h, &L_CONNECT_V6, c, 1, &id));
    CHECK_OK(B->filter_get_by_id(h, id, &g));
    CHECK(g != NULL && memcmp(g->filterCondition[0].conditionValue.byteArray16, &a16, 16) == 0);
    B->free_memory((void **)&g);
    wfp_byte_array6 mac = {{1, 2, 3, 4, 5, 6}};
    c[0].fieldKey = F_MAC_LOCAL;
    c[0].conditionValue.type = WFP_BYTE_ARRAY6_TYPE;
    c[0].conditionValue.byteArray6 = &mac;
    CHECK_OK(add_with(h, &L_MAC, c, 1, &id));
    CHECK_OK(B->filter_get_by_id(h, id, &g));
    CHECK(g != NULL && memcmp(g->filterCondition[0].conditionValue.byteArray6, &mac, 6) == 0);
    B->free_memory((void **)&g);
    B->free_memory(NULL); /* harmless */
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

static void layers(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_layer0 *layer = NULL;
    CHECK_OK(B->layer_get_by_key(h, &L_CONNECT_V4, &layer));
    if (layer != NULL) {
        const wfp_layer_info *info = wfp_layer_find(&L_CONNECT_V4);
        CHECK(layer->layerId == info->layer_id && layer->numFields == info->num_fields);
        CHECK(test_wstr_eq(layer->displayData.name, "ALE_AUTH_CONNECT_V4"));
        CHECK(wfp_guid_equal(&layer->defaultSubLayerKey, &WFP_SUBLAYER_UNIVERSAL));
        int found = 0;
        for (uint32_t i = 0; i < layer->numFields; i++)
            if (wfp_guid_equal(layer->field[i].fieldKey, &F_REMOTE_ADDR))
                found = layer->field[i].type == WFP_FIELD_IP_ADDRESS && layer->field[i].dataType == WFP_UINT32;
        CHECK(found);
    }
    B->free_memory((void **)&layer);
    wfp_guid unknown = test_guid(1);
    CHECK_CODE(B->layer_get_by_key(h, &unknown, &layer), WFP_E_LAYER_NOT_FOUND);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

static void handles(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    CHECK(wfp_sim_session_engine(h) == e);
    CHECK_OK(B->engine_close(h));
    CHECK(wfp_sim_session_engine(h) == NULL);
    wfp_filter0 f = test_filter(&L_CONNECT_V4, "f");
    uint64_t id;
    int bogus;
    CHECK_CODE(B->filter_add(&bogus, &f, NULL, &id), WFP_ERROR_INVALID_HANDLE);
    CHECK_CODE(B->engine_close(&bogus), WFP_ERROR_INVALID_HANDLE);
    wfp_session0 s;
    memset(&s, 0, sizeof s);
    s.sessionKey = test_guid(7);
    wfp_handle a, b2;
    CHECK_OK(wfp_sim_session_open(e, &s, &a));
    CHECK_CODE(wfp_sim_session_open(e, &s, &b2), WFP_E_ALREADY_EXISTS);
    s.flags = 0x4;
    s.sessionKey = test_guid(8);
    CHECK_CODE(wfp_sim_session_open(e, &s, &b2), WFP_E_INVALID_FLAGS);
    B->engine_close(a);
    /* The default engine through the table. */
    wfp_handle d;
    CHECK_CODE(B->engine_open(test_w("server"), WFP_RPC_C_AUTHN_WINNT, NULL, NULL, &d), WFP_ERROR_INVALID_PARAMETER);
    CHECK_CODE(B->engine_open(NULL, 3, NULL, NULL, &d), WFP_ERROR_INVALID_PARAMETER);
    CHECK_OK(B->engine_open(NULL, WFP_RPC_C_AUTHN_DEFAULT, NULL, NULL, &d));
    CHECK(wfp_sim_session_engine(d) == wfp_sim_default_engine());
    CHECK_OK(B->engine_close(d));
    wfp_sim_engine_release(e);
}

static void inject_failure(void)
{
    wfp_sim_engine *e = new_engine();
    wfp_handle h = test_open(e, 0, 0);
    wfp_filter0 filters[5];
    for (int i = 0; i < 5; i++)
        filters[i] = test_filter(&L_CONNECT_V4, "bulk");
    uint64_t ids[5];
    wfp_sim_inject_failure(e, 0, 3, WFP_E_TIMEOUT);
    wfp_bulk_result r = wfp_bulk_add_filters(B, h, filters, 5, ids, 1);
    CHECK(r.status == WFP_E_TIMEOUT && r.failed_index == 2 && r.added == 0);
    wfp_sim_stats st;
    wfp_sim_engine_stats(e, &st);
    CHECK(st.filters == 0);
    r = wfp_bulk_add_filters(B, h, filters, 5, ids, 1); /* once only */
    CHECK(r.status == WFP_OK && r.added == 5);
    wfp_sim_engine_stats(e, &st);
    CHECK(st.filters == 5);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

static void app_ids(void)
{
    struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"C:\\Windows\\System32\\CMD.EXE", "\\device\\harddiskvolume3\\windows\\system32\\cmd.exe"},
        {"c:/Program Files/App.exe", "\\device\\harddiskvolume3\\program files\\app.exe"},
        {"D:\\x", "\\device\\harddiskvolume4\\x"},
        {"Z:\\", "\\device\\harddiskvolume26\\"},
        {"\\\\?\\C:\\Tools\\A.exe", "\\device\\harddiskvolume3\\tools\\a.exe"},
        {"\\\\Server\\Share\\P.exe", "\\device\\mup\\server\\share\\p.exe"},
        {"\\\\?\\UNC\\Server\\Share\\P.exe", "\\device\\mup\\server\\share\\p.exe"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wfp_byte_blob *blob = NULL;
        CHECK_OK(B->get_app_id_from_file_name(test_w(cases[i].in), &blob));
        if (blob == NULL)
            continue;
        size_t n = strlen(cases[i].out);
        CHECK(blob->size == (n + 1) * 2);
        const wfp_wchar *w = (const wfp_wchar *)(const void *)blob->data;
        CHECK(test_wstr_eq(w, cases[i].out));
        B->free_memory((void **)&blob);
        CHECK(blob == NULL);
    }
    wfp_wchar latin[] = {'C', ':', '\\', 0x00C9, 0x0416, 0x0100, 0};
    wfp_byte_blob *blob = NULL;
    CHECK_OK(B->get_app_id_from_file_name(latin, &blob));
    if (blob != NULL) {
        const wfp_wchar *w = (const wfp_wchar *)(const void *)blob->data;
        size_t n = blob->size / 2;
        CHECK(w[n - 4] == 0x00E9 && w[n - 3] == 0x0436 && w[n - 2] == 0x0101 && w[n - 1] == 0);
    }
    B->free_memory((void **)&blob);
    const char *bad[] = {"relative\\file.exe", "", "C:file.exe", "\\\\", "\\rooted"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_CODE(B->get_app_id_from_file_name(test_w(bad[i]), &blob), WFP_ERROR_PATH_NOT_FOUND);
        CHECK(blob == NULL);
    }
}

int main(void)
{
    init_keys();
    static const test_case cases[] = {
        {"builtins", builtins},
        {"provider_lifecycle", provider_lifecycle},
        {"sublayer_lifecycle", sublayer_lifecycle},
        {"filter_validation", filter_validation},
        {"filter_check_order", filter_check_order},
        {"lifetimes", lifetimes},
        {"dynamic_delete_rules", dynamic_delete_rules},
        {"weights", weights},
        {"filter_ids", filter_ids},
        {"deep_copy_roundtrip", deep_copy_roundtrip},
        {"layers", layers},
        {"handles", handles},
        {"inject_failure", inject_failure},
        {"app_ids", app_ids},
    };
    return test_run_all("objects", cases, sizeof cases / sizeof cases[0]);
}
