/*
 * ABI mirror of the Windows Filtering Platform management types.
 *
 * Every struct here has exactly the layout of its fwpmtypes.h/fwptypes.h counterpart on the same
 * architecture (64-bit Windows: FWPM_FILTER0 = 200 bytes), but is spelled with fixed-width types
 * so that it compiles, and keeps that layout, on any LP64 or LLP64 compiler.  Member names are the
 * SDK's, so code reads the same on both sides.  Rules: uint32_t for UINT32/DWORD/BOOL/enums,
 * uint16_t for WCHAR (strings are UTF-16LE, NUL-terminated), pointers wherever the SDK has one.
 *
 * Constants drop the FWP_/FWPM_ prefix and take WFP_ so this header can sit beside <fwpmu.h>.
 */
#ifndef WFP_ABI_H
#define WFP_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* fwpuclnt functions are WINAPI: only 32-bit x86 Windows makes that differ from the default. */
#if defined(_WIN32) && (defined(__i386__) || defined(_M_IX86))
#define WFP_CALL __stdcall
#else
#define WFP_CALL
#endif

typedef uint16_t wfp_wchar;

typedef struct wfp_guid {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} wfp_guid;

typedef struct wfp_filetime {
    uint32_t dwLowDateTime;
    uint32_t dwHighDateTime;
} wfp_filetime;

typedef struct wfp_sid_identifier_authority {
    uint8_t Value[6];
} wfp_sid_identifier_authority;

/* Variable length: SubAuthority really has SubAuthorityCount entries. */
typedef struct wfp_sid {
    uint8_t Revision;
    uint8_t SubAuthorityCount;
    wfp_sid_identifier_authority IdentifierAuthority;
    uint32_t SubAuthority[1];
} wfp_sid;

typedef struct wfp_sid_and_attributes {
    wfp_sid *Sid;
    uint32_t Attributes;
} wfp_sid_and_attributes;

typedef struct wfp_byte_blob {
    uint32_t size;
    uint8_t *data;
} wfp_byte_blob;

typedef struct wfp_byte_array16 {
    uint8_t byteArray16[16];
} wfp_byte_array16;

typedef struct wfp_byte_array6 {
    uint8_t byteArray6[6];
} wfp_byte_array6;

typedef struct wfp_token_information {
    uint32_t sidCount;
    wfp_sid_and_attributes *sids;
    uint32_t restrictedSidCount;
    wfp_sid_and_attributes *restrictedSids;
} wfp_token_information;

/* Host byte order: 10.1.2.3 is 0x0A010203. */
typedef struct wfp_v4_addr_and_mask {
    uint32_t addr;
    uint32_t mask;
} wfp_v4_addr_and_mask;

typedef struct wfp_v6_addr_and_mask {
    uint8_t addr[16];
    uint8_t prefixLength;
} wfp_v6_addr_and_mask;

/* FWP_DATA_TYPE */
enum {
    WFP_EMPTY = 0,
    WFP_UINT8 = 1,
    WFP_UINT16 = 2,
    WFP_UINT32 = 3,
    WFP_UINT64 = 4,
    WFP_INT8 = 5,
    WFP_INT16 = 6,
    WFP_INT32 = 7,
    WFP_INT64 = 8,
    WFP_FLOAT = 9,
    WFP_DOUBLE = 10,
    WFP_BYTE_ARRAY16_TYPE = 11,
    WFP_BYTE_BLOB_TYPE = 12,
    WFP_SID = 13,
    WFP_SECURITY_DESCRIPTOR_TYPE = 14,
    WFP_TOKEN_INFORMATION_TYPE = 15,
    WFP_TOKEN_ACCESS_INFORMATION_TYPE = 16,
    WFP_UNICODE_STRING_TYPE = 17,
    WFP_BYTE_ARRAY6_TYPE = 18,
    WFP_BITMAP_INDEX_TYPE = 19,
    WFP_BITMAP_ARRAY64_TYPE = 20,
    WFP_SINGLE_DATA_TYPE_MAX = 0xff,
    WFP_V4_ADDR_MASK = 0x100,
    WFP_V6_ADDR_MASK = 0x101,
    WFP_RANGE_TYPE = 0x102,
    WFP_DATA_TYPE_MAX = 0x103
};

typedef struct wfp_value0 {
    uint32_t type;
    union {
        uint8_t uint8;
        uint16_t uint16;
        uint32_t uint32;
        uint64_t *uint64;
        int8_t int8;
        int16_t int16;
        int32_t int32;
        int64_t *int64;
        float float32;
        double *double64;
        wfp_byte_array16 *byteArray16;
        wfp_byte_blob *byteBlob;
        wfp_sid *sid;
        wfp_byte_blob *sd;
        wfp_token_information *tokenInformation;
        wfp_byte_blob *tokenAccessInformation;
        wfp_wchar *unicodeString;
        wfp_byte_array6 *byteArray6;
    };
} wfp_value0;

typedef struct wfp_range0 {
    wfp_value0 valueLow;
    wfp_value0 valueHigh;
} wfp_range0;

typedef struct wfp_condition_value0 {
    uint32_t type;
    union {
        uint8_t uint8;
        uint16_t uint16;
        uint32_t uint32;
        uint64_t *uint64;
        int8_t int8;
        int16_t int16;
        int32_t int32;
        int64_t *int64;
        float float32;
        double *double64;
        wfp_byte_array16 *byteArray16;
        wfp_byte_blob *byteBlob;
        wfp_sid *sid;
        wfp_byte_blob *sd;
        wfp_token_information *tokenInformation;
        wfp_byte_blob *tokenAccessInformation;
        wfp_wchar *unicodeString;
        wfp_byte_array6 *byteArray6;
        wfp_v4_addr_and_mask *v4AddrMask;
        wfp_v6_addr_and_mask *v6AddrMask;
        wfp_range0 *rangeValue;
    };
} wfp_condition_value0;

/* FWP_MATCH_TYPE */
enum {
    WFP_MATCH_EQUAL = 0,
    WFP_MATCH_GREATER = 1,
    WFP_MATCH_LESS = 2,
    WFP_MATCH_GREATER_OR_EQUAL = 3,
    WFP_MATCH_LESS_OR_EQUAL = 4,
    WFP_MATCH_RANGE = 5,
    WFP_MATCH_FLAGS_ALL_SET = 6,
    WFP_MATCH_FLAGS_ANY_SET = 7,
    WFP_MATCH_FLAGS_NONE_SET = 8,
    WFP_MATCH_EQUAL_CASE_INSENSITIVE = 9,
    WFP_MATCH_NOT_EQUAL = 10,
    WFP_MATCH_PREFIX = 11, /* tests the suffix, as Windows does */
    WFP_MATCH_NOT_PREFIX = 12,
    WFP_MATCH_TYPE_MAX = 13
};

/* FWP_ACTION_* */
#define WFP_ACTION_FLAG_TERMINATING 0x00001000u
#define WFP_ACTION_FLAG_NON_TERMINATING 0x00002000u
#define WFP_ACTION_FLAG_CALLOUT 0x00004000u
#define WFP_ACTION_BLOCK 0x00001001u
#define WFP_ACTION_PERMIT 0x00001002u
#define WFP_ACTION_CALLOUT_TERMINATING 0x00005003u
#define WFP_ACTION_CALLOUT_INSPECTION 0x00006004u
#define WFP_ACTION_CALLOUT_UNKNOWN 0x00004005u
#define WFP_ACTION_CONTINUE 0x00002006u
#define WFP_ACTION_NONE 0x00000007u
#define WFP_ACTION_NONE_NO_MATCH 0x00000008u

/* FWPM_FILTER_FLAG_* */
#define WFP_FILTER_FLAG_NONE 0x0000u
#define WFP_FILTER_FLAG_PERSISTENT 0x0001u
#define WFP_FILTER_FLAG_BOOTTIME 0x0002u
#define WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT 0x0004u
#define WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT 0x0008u
#define WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED 0x0010u
#define WFP_FILTER_FLAG_DISABLED 0x0020u
#define WFP_FILTER_FLAG_INDEXED 0x0040u

#define WFP_PROVIDER_FLAG_PERSISTENT 0x01u
#define WFP_PROVIDER_FLAG_DISABLED 0x10u
#define WFP_SUBLAYER_FLAG_PERSISTENT 0x01u
#define WFP_SESSION_FLAG_DYNAMIC 0x01u
#define WFP_TXN_READ_ONLY 0x01u
#define WFP_INFINITE 0xFFFFFFFFu
#define WFP_RPC_C_AUTHN_WINNT 10u
#define WFP_RPC_C_AUTHN_DEFAULT 0xFFFFFFFFu

/* FWPM_FIELD_TYPE */
enum { WFP_FIELD_RAW_DATA = 0, WFP_FIELD_IP_ADDRESS = 1, WFP_FIELD_FLAGS = 2 };

/* FWPM_LAYER_FLAG_* */
#define WFP_LAYER_FLAG_KERNEL 0x1u
#define WFP_LAYER_FLAG_BUILTIN 0x2u
#define WFP_LAYER_FLAG_CLASSIFY_MOSTLY 0x4u
#define WFP_LAYER_FLAG_BUFFERED 0x8u

/* FWP_FILTER_ENUM_TYPE and FWP_FILTER_ENUM_FLAG_* */
enum { WFP_FILTER_ENUM_FULLY_CONTAINED = 0, WFP_FILTER_ENUM_OVERLAPPING = 1 };
#define WFP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH 0x1u
#define WFP_FILTER_ENUM_FLAG_SORTED 0x2u
#define WFP_FILTER_ENUM_FLAG_BOOTTIME_ONLY 0x4u
#define WFP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME 0x8u
#define WFP_FILTER_ENUM_FLAG_INCLUDE_DISABLED 0x10u

/* Weight constants (FWPM_AUTO_WEIGHT_*, FWPM_WEIGHT_RANGE_*) */
#define WFP_AUTO_WEIGHT_BITS 60
#define WFP_AUTO_WEIGHT_MAX (UINT64_MAX >> 4)
#define WFP_WEIGHT_RANGE_MAX 15u

#define WFP_CONDITION_FLAG_IS_LOOPBACK 0x1u

typedef struct wfp_display_data0 {
    wfp_wchar *name;
    wfp_wchar *description;
} wfp_display_data0;

typedef struct wfp_action0 {
    uint32_t type;
    union {
        wfp_guid filterType;
        wfp_guid calloutKey;
    };
} wfp_action0;

typedef struct wfp_filter_condition0 {
    wfp_guid fieldKey;
    uint32_t matchType;
    wfp_condition_value0 conditionValue;
} wfp_filter_condition0;

typedef struct wfp_filter0 {
    wfp_guid filterKey;
    wfp_display_data0 displayData;
    uint32_t flags;
    wfp_guid *providerKey;
    wfp_byte_blob providerData;
    wfp_guid layerKey;
    wfp_guid subLayerKey;
    wfp_value0 weight;
    uint32_t numFilterConditions;
    wfp_filter_condition0 *filterCondition;
    wfp_action0 action;
    union {
        uint64_t rawContext;
        wfp_guid providerContextKey;
    };
    wfp_guid *reserved;
    uint64_t filterId;
    wfp_value0 effectiveWeight;
} wfp_filter0;

typedef struct wfp_sublayer0 {
    wfp_guid subLayerKey;
    wfp_display_data0 displayData;
    uint32_t flags;
    wfp_guid *providerKey;
    wfp_byte_blob providerData;
    uint16_t weight;
} wfp_sublayer0;

typedef struct wfp_provider0 {
    wfp_guid providerKey;
    wfp_display_data0 displayData;
    uint32_t flags;
    wfp_byte_blob providerData;
    wfp_wchar *serviceName;
} wfp_provider0;

typedef struct wfp_session0 {
    wfp_guid sessionKey;
    wfp_display_data0 displayData;
    uint32_t flags;
    uint32_t txnWaitTimeoutInMSec;
    uint32_t processId;
    wfp_sid *sid;
    wfp_wchar *username;
    uint32_t kernelMode;
} wfp_session0;

typedef struct wfp_field0 {
    wfp_guid *fieldKey;
    uint32_t type;
    uint32_t dataType;
} wfp_field0;

typedef struct wfp_layer0 {
    wfp_guid layerKey;
    wfp_display_data0 displayData;
    uint32_t flags;
    uint32_t numFields;
    wfp_field0 *field;
    wfp_guid defaultSubLayerKey;
    uint16_t layerId;
} wfp_layer0;

typedef struct wfp_callout0 {
    wfp_guid calloutKey;
    wfp_display_data0 displayData;
    uint32_t flags;
    wfp_guid *providerKey;
    wfp_byte_blob providerData;
    wfp_guid applicableLayer;
    uint32_t calloutId;
} wfp_callout0;

typedef struct wfp_provider_context_enum_template0 {
    wfp_guid *providerKey;
    uint32_t providerContextType;
} wfp_provider_context_enum_template0;

typedef struct wfp_filter_enum_template0 {
    wfp_guid *providerKey;
    wfp_guid layerKey;
    uint32_t enumType;
    uint32_t flags;
    wfp_provider_context_enum_template0 *providerContextTemplate;
    uint32_t numFilterConditions;
    wfp_filter_condition0 *filterCondition;
    uint32_t actionMask;
    wfp_guid *calloutKey;
} wfp_filter_enum_template0;

typedef struct wfp_sublayer_enum_template0 {
    wfp_guid *providerKey;
} wfp_sublayer_enum_template0;

typedef struct wfp_provider_enum_template0 {
    uint64_t reserved;
} wfp_provider_enum_template0;

typedef struct wfp_layer_enum_template0 {
    uint64_t reserved;
} wfp_layer_enum_template0;

typedef struct wfp_callout_enum_template0 {
    wfp_guid *providerKey;
    wfp_guid layerKey;
} wfp_callout_enum_template0;

/* Net events (FWPM_NET_EVENT0 family). */
#define WFP_NET_EVENT_FLAG_IP_PROTOCOL_SET 0x1u
#define WFP_NET_EVENT_FLAG_LOCAL_ADDR_SET 0x2u
#define WFP_NET_EVENT_FLAG_REMOTE_ADDR_SET 0x4u
#define WFP_NET_EVENT_FLAG_LOCAL_PORT_SET 0x8u
#define WFP_NET_EVENT_FLAG_REMOTE_PORT_SET 0x10u
#define WFP_NET_EVENT_FLAG_APP_ID_SET 0x20u
#define WFP_NET_EVENT_FLAG_USER_ID_SET 0x40u
#define WFP_NET_EVENT_FLAG_SCOPE_ID_SET 0x80u
#define WFP_NET_EVENT_FLAG_IP_VERSION_SET 0x100u
enum { WFP_NET_EVENT_TYPE_CLASSIFY_DROP = 3, WFP_NET_EVENT_TYPE_CLASSIFY_ALLOW = 6 };
enum { WFP_IP_VERSION_V4 = 0, WFP_IP_VERSION_V6 = 1, WFP_IP_VERSION_NONE = 2 };

typedef struct wfp_net_event_header0 {
    wfp_filetime timeStamp;
    uint32_t flags;
    uint32_t ipVersion;
    uint8_t ipProtocol;
    union {
        uint32_t localAddrV4;
        wfp_byte_array16 localAddrV6;
    };
    union {
        uint32_t remoteAddrV4;
        wfp_byte_array16 remoteAddrV6;
    };
    uint16_t localPort;
    uint16_t remotePort;
    uint32_t scopeId;
    wfp_byte_blob appId;
    wfp_sid *userId;
} wfp_net_event_header0;

typedef struct wfp_net_event_classify_drop0 {
    uint64_t filterId;
    uint16_t layerId;
} wfp_net_event_classify_drop0;

typedef struct wfp_net_event0 {
    wfp_net_event_header0 header;
    uint32_t type;
    union {
        void *ikeMmFailure;
        void *ikeQmFailure;
        void *ikeEmFailure;
        wfp_net_event_classify_drop0 *classifyDrop;
        void *ipsecDrop;
        void *idpDrop;
    };
} wfp_net_event0;

typedef struct wfp_net_event_enum_template0 {
    wfp_filetime startTime;
    wfp_filetime endTime;
    uint32_t numFilterConditions;
    wfp_filter_condition0 *filterCondition;
} wfp_net_event_enum_template0;

#ifdef __cplusplus
}
#endif

#endif /* WFP_ABI_H */
