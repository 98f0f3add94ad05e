/* All-or-nothing insertion of many filters through any backend. */
#include "wfp/core.h"

wfp_bulk_result wfp_bulk_add_filters(const wfp_backend *backend, wfp_handle engine,
                                     const wfp_filter0 *filters, size_t n, uint64_t *ids,
                                     int own_transaction)
{
    wfp_bulk_result result = {WFP_OK, SIZE_MAX, 0};
    if (own_transaction) {
        result.status = backend->transaction_begin(engine, 0);
        if (result.status != WFP_OK)
            return result;
    }
    size_t i;
    for (i = 0; i < n; i++) {
        uint64_t id = 0;
        uint32_t status = backend->filter_add(engine, &filters[i], NULL, &id);
        if (status != WFP_OK) {
            result.status = status;
            result.failed_index = i;
            break;
        }
        if (ids != NULL)
            ids[i] = id;
    }
    if (result.status == WFP_OK) {
        if (own_transaction) {
            result.status = backend->transaction_commit(engine);
            if (result.status != WFP_OK) {
                /* A failed commit leaves the transaction open on some engines: close it. */
                backend->transaction_abort(engine);
                return result;
            }
        }
        result.added = n;
        return result;
    }
    if (own_transaction) {
        backend->transaction_abort(engine);
    } else {
        /* The caller's transaction must survive, so undo our part of it by id.  Without ids
           we cannot undo: callers inside a transaction must pass them. */
        if (ids != NULL)
            wfp_bulk_undo(backend, engine, ids, i);
    }
    return result;
}

void wfp_bulk_undo(const wfp_backend *backend, wfp_handle engine, const uint64_t *ids, size_t n)
{
    /* Newest first, the reverse of the adds. */
    while (n-- > 0)
        backend->filter_delete_by_id(engine, ids[n]);
}
