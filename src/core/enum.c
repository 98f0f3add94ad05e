/* Enumeration pager: walks any backend's enum handle in large pages, freeing each page once. */
#include "wfp/core.h"

uint32_t wfp_pager_open(wfp_pager *pager, const wfp_backend *backend, wfp_handle engine,
                        wfp_enum_kind kind, const void *tmpl, uint32_t page_size)
{
    pager->backend = backend;
    pager->engine = engine;
    pager->enum_handle = NULL;
    pager->kind = kind;
    pager->page_size = page_size ? page_size : WFP_PAGER_DEFAULT_PAGE;
    pager->page = NULL;
    pager->page_count = 0;
    pager->exhausted = 0;
    switch (kind) {
    case WFP_ENUM_FILTERS:
        return backend->filter_create_enum_handle(engine, tmpl, &pager->enum_handle);
    case WFP_ENUM_SUBLAYERS:
        return backend->sublayer_create_enum_handle(engine, tmpl, &pager->enum_handle);
    case WFP_ENUM_PROVIDERS:
        return backend->provider_create_enum_handle(engine, tmpl, &pager->enum_handle);
    case WFP_ENUM_LAYERS:
        return backend->layer_create_enum_handle(engine, tmpl, &pager->enum_handle);
    case WFP_ENUM_NET_EVENTS:
        if (backend->net_event_create_enum_handle == NULL)
            return WFPKIT_E_UNSUPPORTED;
        return backend->net_event_create_enum_handle(engine, tmpl, &pager->enum_handle);
    }
    return WFP_E_INVALID_PARAMETER;
}

static void free_page(wfp_pager *pager)
{
    if (pager->page != NULL)
        pager->backend->free_memory((void **)&pager->page);
    pager->page = NULL; /* free_memory nulls it too, but Wine's stub does not */
    pager->page_count = 0;
}

uint32_t wfp_pager_next(wfp_pager *pager)
{
    free_page(pager);
    if (pager->exhausted || pager->enum_handle == NULL)
        return WFP_OK;
    const wfp_backend *b = pager->backend;
    uint32_t status = WFP_E_INVALID_PARAMETER;
    uint32_t n = 0;
    void *entries = NULL;
    switch (pager->kind) {
    case WFP_ENUM_FILTERS:
        status = b->filter_enum(pager->engine, pager->enum_handle, pager->page_size,
                                (wfp_filter0 ***)&entries, &n);
        break;
    case WFP_ENUM_SUBLAYERS:
        status = b->sublayer_enum(pager->engine, pager->enum_handle, pager->page_size,
                                  (wfp_sublayer0 ***)&entries, &n);
        break;
    case WFP_ENUM_PROVIDERS:
        status = b->provider_enum(pager->engine, pager->enum_handle, pager->page_size,
                                  (wfp_provider0 ***)&entries, &n);
        break;
    case WFP_ENUM_LAYERS:
        status = b->layer_enum(pager->engine, pager->enum_handle, pager->page_size,
                               (wfp_layer0 ***)&entries, &n);
        break;
    case WFP_ENUM_NET_EVENTS:
        status = b->net_event_enum(pager->engine, pager->enum_handle, pager->page_size,
                                   (wfp_net_event0 ***)&entries, &n);
        break;
    }
    if (status != WFP_OK) {
        if (entries != NULL)
            b->free_memory(&entries);
        pager->exhausted = 1;
        return status;
    }
    pager->page = entries;
    pager->page_count = n;
    /* A short page means the enumeration is exhausted. */
    if (n < pager->page_size)
        pager->exhausted = 1;
    if (n == 0)
        free_page(pager);
    return WFP_OK;
}

void wfp_pager_close(wfp_pager *pager)
{
    free_page(pager);
    if (pager->enum_handle == NULL)
        return;
    const wfp_backend *b = pager->backend;
    switch (pager->kind) {
    case WFP_ENUM_FILTERS:
        b->filter_destroy_enum_handle(pager->engine, pager->enum_handle);
        break;
    case WFP_ENUM_SUBLAYERS:
        b->sublayer_destroy_enum_handle(pager->engine, pager->enum_handle);
        break;
    case WFP_ENUM_PROVIDERS:
        b->provider_destroy_enum_handle(pager->engine, pager->enum_handle);
        break;
    case WFP_ENUM_LAYERS:
        b->layer_destroy_enum_handle(pager->engine, pager->enum_handle);
        break;
    case WFP_ENUM_NET_EVENTS:
        b->net_event_destroy_enum_handle(pager->engine, pager->enum_handle);
        break;
    }
    pager->enum_handle = NULL;
}
