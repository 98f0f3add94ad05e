/* UTF-16 and GUID helpers shared by the binding and the backends. */
#include <string.h>

#include "wfp/core.h"

const wfp_guid WFP_GUID_NULL = {0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};

size_t wfp_wcslen(const wfp_wchar *s)
{
    size_t n = 0;
    while (s[n] != 0)
        n++;
    return n;
}

int wfp_guid_equal(const wfp_guid *a, const wfp_guid *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

int wfp_guid_is_null(const wfp_guid *g)
{
    return wfp_guid_equal(g, &WFP_GUID_NULL);
}

#ifndef _WIN32
/* fwpuclnt.dll exists only on Windows; src/win/backend_win.c defines the real one there. */
const wfp_backend *wfp_win_backend(uint32_t *status)
{
    if (status != NULL)
        *status = WFPKIT_E_UNSUPPORTED;
    return NULL;
}
#endif
