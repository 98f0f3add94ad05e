/*
 * FwpmGetAppIdFromFileName0 off Windows (reference §8).  Windows asks the volume manager for the
 * drive's device name; this engine has no volumes, so it maps them by a fixed rule [I]:
 *   X:\rest            -> \device\harddiskvolume<N>\rest, N = letter - 'a' + 1 (C: -> 3)
 *   \\server\share\p   -> \device\mup\server\share\p
 *   \\?\ and \\.\ prefixes (and \\?\UNC\) are stripped first; '/' counts as '\'.
 * The whole result is lower-cased (sim_to_lower: ASCII, Latin-1, Latin Extended-A, Greek,
 * Cyrillic) and returned as UTF-16LE with its terminating NUL counted in size.  Relative,
 * drive-relative and empty paths fail with ERROR_PATH_NOT_FOUND; nothing checks that the file
 * exists and "." / ".." are kept as written.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

static int is_sep(wfp_wchar c) { return c == '\\' || c == '/'; }

static int starts_with(const wfp_wchar *s, size_t n, const char *ascii)
{
    size_t k = strlen(ascii);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        wfp_wchar c = s[i] == '/' ? '\\' : s[i];
        if (sim_to_lower(c) != (wfp_wchar)ascii[i])
            return 0;
    }
    return 1;
}

static size_t append_ascii(wfp_wchar *out, size_t pos, const char *ascii)
{
    for (size_t i = 0; ascii[i] != '\0'; i++)
        out[pos++] = (wfp_wchar)ascii[i];
    return pos;
}

uint32_t WFP_CALL sim_get_app_id_from_file_name(const wfp_wchar *file_name, wfp_byte_blob **app_id)
{
    if (app_id == NULL)
        return WFP_ERROR_INVALID_PARAMETER;
    *app_id = NULL;
    if (file_name == NULL)
        return WFP_ERROR_INVALID_PARAMETER;
    const wfp_wchar *p = file_name;
    size_t n = wfp_wcslen(p);
    int unc = 0;
    if (starts_with(p, n, "\\\\?\\unc\\")) {
        p += 8;
        n -= 8;
        unc = 1;
    } else if (starts_with(p, n, "\\\\?\\") || starts_with(p, n, "\\\\.\\")) {
        p += 4;
        n -= 4;
    } else if (n >= 2 && is_sep(p[0]) && is_sep(p[1])) {
        p += 2;
        n -= 2;
        unc = 1;
    }

    char prefix[48];
    if (unc) {
        /* server\share at least */
        if (n == 0 || is_sep(p[0]))
            return WFP_ERROR_PATH_NOT_FOUND;
        strcpy(prefix, "\\device\\mup\\");
    } else {
        wfp_wchar letter = sim_to_lower(n > 0 ? p[0] : 0);
        if (n < 3 || letter < 'a' || letter > 'z' || p[1] != ':' || !is_sep(p[2]))
            return WFP_ERROR_PATH_NOT_FOUND;
        unsigned volume = (unsigned)(letter - 'a') + 1u;
        char digits[4];
        size_t d = 0;
        do {
            digits[d++] = (char)('0' + volume % 10);
            volume /= 10;
        } while (volume > 0);
        strcpy(prefix, "\\device\\harddiskvolume");
        size_t len = strlen(prefix);
        while (d > 0)
            prefix[len++] = digits[--d];
        prefix[len] = '\0';
        p += 2; /* keep the separator after "X:" */
        n -= 2;
    }
    size_t total = strlen(prefix) + n;
    size_t bytes = (total + 1) * sizeof(wfp_wchar);
    size_t header = (sizeof(wfp_byte_blob) + 7u) & ~(size_t)7u;
    wfp_byte_blob *blob = calloc(1, header + bytes);
    if (blob == NULL)
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    wfp_wchar *out = (wfp_wchar *)(void *)((uint8_t *)blob + header);
    size_t pos = append_ascii(out, 0, prefix);
    for (size_t i = 0; i < n; i++)
        out[pos++] = sim_to_lower(p[i] == '/' ? '\\' : p[i]);
    out[pos] = 0;
    blob->size = (uint32_t)bytes;
    blob->data = (uint8_t *)out;
    *app_id = blob;
    return WFP_OK;
}
