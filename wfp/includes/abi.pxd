# Extern declarations of include/wfp/abi.h: the mirror of the WFP management structs.
# Anonymous unions are declared as plain members; C reaches them by the same member names.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t

cdef extern from "wfp/abi.h" nogil:
    ctypedef uint16_t wfp_wchar

    ctypedef struct wfp_guid:
        uint32_t Data1
        uint16_t Data2
        uint16_t Data3
        uint8_t Data4[8]

    ctypedef struct wfp_filetime:
        uint32_t dwLowDateTime
        uint32_t dwHighDateTime

    ctypedef struct wfp_sid_identifier_authority:
        uint8_t Value[6]

    ctypedef struct wfp_sid:
        uint8_t Revision
        uint8_t SubAuthorityCount
        wfp_sid_identifier_authority IdentifierAuthority
        uint32_t SubAuthority[1]

    ctypedef struct wfp_sid_and_attributes:
        wfp_sid *Sid
        uint32_t Attributes

    ctypedef struct wfp_byte_blob:
        uint32_t size
        uint8_t *data

    ctypedef struct wfp_byte_array16:
        uint8_t byteArray16[16]

    ctypedef struct wfp_byte_array6:
        uint8_t byteArray6[6]

    ctypedef struct wfp_token_information:
        uint32_t sidCount
        wfp_sid_and_attributes *sids
        uint32_t restrictedSidCount
        wfp_sid_and_attributes *restrictedSids

    ctypedef struct wfp_v4_addr_and_mask:
        uint32_t addr
        uint32_t mask

    ctypedef struct wfp_v6_addr_and_mask:
        uint8_t addr[16]
        uint8_t prefixLength

    enum:
        WFP_EMPTY
        WFP_UINT8
        WFP_UINT16
        WFP_UINT32
        WFP_UINT64
        WFP_INT8
        WFP_INT16
        WFP_INT32
        WFP_INT64
        WFP_FLOAT
        WFP_DOUBLE
        WFP_BYTE_ARRAY16_TYPE
        WFP_BYTE_BLOB_TYPE
        WFP_SID
        WFP_SECURITY_DESCRIPTOR_TYPE
        WFP_TOKEN_INFORMATION_TYPE
        WFP_TOKEN_ACCESS_INFORMATION_TYPE
        WFP_UNICODE_STRING_TYPE
        WFP_BYTE_ARRAY6_TYPE
        WFP_BITMAP_INDEX_TYPE
        WFP_BITMAP_ARRAY64_TYPE
        WFP_SINGLE_DATA_TYPE_MAX
        WFP_V4_ADDR_MASK
        WFP_V6_ADDR_MASK
        WFP_RANGE_TYPE
        WFP_DATA_TYPE_MAX

    ctypedef struct wfp_value0:
        uint32_t type
        uint8_t uint8
        uint16_t uint16
        uint32_t uint32
        uint64_t *uint64
        int8_t int8
        int16_t int16
        int32_t int32
        int64_t *int64
        float float32
        double *double64
        wfp_byte_array16 *byteArray16
        wfp_byte_blob *byteBlob
        wfp_sid *sid
        wfp_byte_blob *sd
        wfp_token_information *tokenInformation
        wfp_byte_blob *tokenAccessInformation
        wfp_wchar *unicodeString
        wfp_byte_array6 *byteArray6

    ctypedef struct wfp_range0:
        wfp_value0 valueLow
        wfp_value0 valueHigh

    ctypedef struct wfp_condition_value0:
        uint32_t type
        uint8_t uint8
        uint16_t uint16
        uint32_t uint32
        uint64_t *uint64
        int8_t int8
        int16_t int16
        int32_t int32
        int64_t *int64
        float float32
        double *double64
        wfp_byte_array16 *byteArray16
        wfp_byte_blob *byteBlob
        wfp_sid *sid
        wfp_byte_blob *sd
        wfp_token_information *tokenInformation
        wfp_byte_blob *tokenAccessInformation
        wfp_wchar *unicodeString
        wfp_byte_array6 *byteArray6
        wfp_v4_addr_and_mask *v4AddrMask
        wfp_v6_addr_and_mask *v6AddrMask
        wfp_range0 *rangeValue

    enum:
        WFP_MATCH_EQUAL
        WFP_MATCH_GREATER
        WFP_MATCH_LESS
        WFP_MATCH_GREATER_OR_EQUAL
        WFP_MATCH_LESS_OR_EQUAL
        WFP_MATCH_RANGE
        WFP_MATCH_FLAGS_ALL_SET
        WFP_MATCH_FLAGS_ANY_SET
        WFP_MATCH_FLAGS_NONE_SET
        WFP_MATCH_EQUAL_CASE_INSENSITIVE
        WFP_MATCH_NOT_EQUAL
        WFP_MATCH_PREFIX
        WFP_MATCH_NOT_PREFIX
        WFP_MATCH_TYPE_MAX

    uint32_t WFP_ACTION_FLAG_TERMINATING
    uint32_t WFP_ACTION_FLAG_NON_TERMINATING
    uint32_t WFP_ACTION_FLAG_CALLOUT
    uint32_t WFP_ACTION_BLOCK
    uint32_t WFP_ACTION_PERMIT
    uint32_t WFP_ACTION_CALLOUT_TERMINATING
    uint32_t WFP_ACTION_CALLOUT_INSPECTION
    uint32_t WFP_ACTION_CALLOUT_UNKNOWN
    uint32_t WFP_ACTION_CONTINUE
    uint32_t WFP_ACTION_NONE
    uint32_t WFP_ACTION_NONE_NO_MATCH

    uint32_t WFP_FILTER_FLAG_NONE
    uint32_t WFP_FILTER_FLAG_PERSISTENT
    uint32_t WFP_FILTER_FLAG_BOOTTIME
    uint32_t WFP_FILTER_FLAG_HAS_PROVIDER_CONTEXT
    uint32_t WFP_FILTER_FLAG_CLEAR_ACTION_RIGHT
    uint32_t WFP_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED
    uint32_t WFP_FILTER_FLAG_DISABLED
    uint32_t WFP_FILTER_FLAG_INDEXED

    uint32_t WFP_PROVIDER_FLAG_PERSISTENT
    uint32_t WFP_PROVIDER_FLAG_DISABLED
    uint32_t WFP_SUBLAYER_FLAG_PERSISTENT
    uint32_t WFP_SESSION_FLAG_DYNAMIC
    uint32_t WFP_TXN_READ_ONLY
    uint32_t WFP_INFINITE
    uint32_t WFP_RPC_C_AUTHN_WINNT
    uint32_t WFP_RPC_C_AUTHN_DEFAULT

    enum:
        WFP_FIELD_RAW_DATA
        WFP_FIELD_IP_ADDRESS
        WFP_FIELD_FLAGS

    uint32_t WFP_LAYER_FLAG_KERNEL
    uint32_t WFP_LAYER_FLAG_BUILTIN
    uint32_t WFP_LAYER_FLAG_CLASSIFY_MOSTLY
    uint32_t WFP_LAYER_FLAG_BUFFERED

    enum:
        WFP_FILTER_ENUM_FULLY_CONTAINED
        WFP_FILTER_ENUM_OVERLAPPING
    uint32_t WFP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH
    uint32_t WFP_FILTER_ENUM_FLAG_SORTED
    uint32_t WFP_FILTER_ENUM_FLAG_BOOTTIME_ONLY
    uint32_t WFP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME
    uint32_t WFP_FILTER_ENUM_FLAG_INCLUDE_DISABLED

    int WFP_AUTO_WEIGHT_BITS
    uint64_t WFP_AUTO_WEIGHT_MAX
    uint32_t WFP_WEIGHT_RANGE_MAX
    uint32_t WFP_CONDITION_FLAG_IS_LOOPBACK

    ctypedef struct wfp_display_data0:
        wfp_wchar *name
        wfp_wchar *description

    ctypedef struct wfp_action0:
        uint32_t type
        wfp_guid filterType
        wfp_guid calloutKey

    ctypedef struct wfp_filter_condition0:
        wfp_guid fieldKey
        uint32_t matchType
        wfp_condition_value0 conditionValue

    ctypedef struct wfp_filter0:
        wfp_guid filterKey
        wfp_display_data0 displayData
        uint32_t flags
        wfp_guid *providerKey
        wfp_byte_blob providerData
        wfp_guid layerKey
        wfp_guid subLayerKey
        wfp_value0 weight
        uint32_t numFilterConditions
        wfp_filter_condition0 *filterCondition
        wfp_action0 action
        uint64_t rawContext
        wfp_guid providerContextKey
        wfp_guid *reserved
        uint64_t filterId
        wfp_value0 effectiveWeight

    ctypedef struct wfp_sublayer0:
        wfp_guid subLayerKey
        wfp_display_data0 displayData
        uint32_t flags
        wfp_guid *providerKey
        wfp_byte_blob providerData
        uint16_t weight

    ctypedef struct wfp_provider0:
        wfp_guid providerKey
        wfp_display_data0 displayData
        uint32_t flags
        wfp_byte_blob providerData
        wfp_wchar *serviceName

    ctypedef struct wfp_session0:
        wfp_guid sessionKey
        wfp_display_data0 displayData
        uint32_t flags
        uint32_t txnWaitTimeoutInMSec
        uint32_t processId
        wfp_sid *sid
        wfp_wchar *username
        uint32_t kernelMode

    ctypedef struct wfp_field0:
        wfp_guid *fieldKey
        uint32_t type
        uint32_t dataType

    ctypedef struct wfp_layer0:
        wfp_guid layerKey
        wfp_display_data0 displayData
        uint32_t flags
        uint32_t numFields
        wfp_field0 *field
        wfp_guid defaultSubLayerKey
        uint16_t layerId

    ctypedef struct wfp_callout0:
        wfp_guid calloutKey
        wfp_display_data0 displayData
        uint32_t flags
        wfp_guid *providerKey
        wfp_byte_blob providerData
        wfp_guid applicableLayer
        uint32_t calloutId

    ctypedef struct wfp_provider_context_enum_template0:
        wfp_guid *providerKey
        uint32_t providerContextType

    ctypedef struct wfp_filter_enum_template0:
        wfp_guid *providerKey
        wfp_guid layerKey
        uint32_t enumType
        uint32_t flags
        wfp_provider_context_enum_template0 *providerContextTemplate
        uint32_t numFilterConditions
        wfp_filter_condition0 *filterCondition
        uint32_t actionMask
        wfp_guid *calloutKey

    ctypedef struct wfp_sublayer_enum_template0:
        wfp_guid *providerKey

    ctypedef struct wfp_provider_enum_template0:
        uint64_t reserved

    ctypedef struct wfp_layer_enum_template0:
        uint64_t reserved

    ctypedef struct wfp_callout_enum_template0:
        wfp_guid *providerKey
        wfp_guid layerKey

    uint32_t WFP_NET_EVENT_FLAG_IP_PROTOCOL_SET
    uint32_t WFP_NET_EVENT_FLAG_LOCAL_ADDR_SET
    uint32_t WFP_NET_EVENT_FLAG_REMOTE_ADDR_SET
    uint32_t WFP_NET_EVENT_FLAG_LOCAL_PORT_SET
    uint32_t WFP_NET_EVENT_FLAG_REMOTE_PORT_SET
    uint32_t WFP_NET_EVENT_FLAG_APP_ID_SET
    uint32_t WFP_NET_EVENT_FLAG_USER_ID_SET
    uint32_t WFP_NET_EVENT_FLAG_SCOPE_ID_SET
    uint32_t WFP_NET_EVENT_FLAG_IP_VERSION_SET
    enum:
        WFP_NET_EVENT_TYPE_CLASSIFY_DROP
        WFP_NET_EVENT_TYPE_CLASSIFY_ALLOW
    enum:
        WFP_IP_VERSION_V4
        WFP_IP_VERSION_V6
        WFP_IP_VERSION_NONE

    ctypedef struct wfp_net_event_header0:
        wfp_filetime timeStamp
        uint32_t flags
        uint32_t ipVersion
        uint8_t ipProtocol
        uint32_t localAddrV4
        wfp_byte_array16 localAddrV6
        uint32_t remoteAddrV4
        wfp_byte_array16 remoteAddrV6
        uint16_t localPort
        uint16_t remotePort
        uint32_t scopeId
        wfp_byte_blob appId
        wfp_sid *userId

    ctypedef struct wfp_net_event_classify_drop0:
        uint64_t filterId
        uint16_t layerId

    ctypedef struct wfp_net_event0:
        wfp_net_event_header0 header
        uint32_t type
        wfp_net_event_classify_drop0 *classifyDrop

    ctypedef struct wfp_net_event_enum_template0:
        wfp_filetime startTime
        wfp_filetime endTime
        uint32_t numFilterConditions
        wfp_filter_condition0 *filterCondition
