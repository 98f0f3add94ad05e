/*
 * The fwpuclnt.dll backend's extra API (src/win/backend_win.c, Windows builds only).
 *
 * wfp_win_backend() (core.h) loads fwpuclnt.dll at run time and resolves each entry point with
 * GetProcAddress, so a Windows version that lacks a function leaves that slot NULL instead of
 * failing to load the extension.  These helpers let a caller name what is missing.
 */
#ifndef WFP_WIN_H
#define WFP_WIN_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The fwpuclnt export behind a backend-table slot, given the slot's offsetof(wfp_backend, ...),
 * e.g. offsetof(wfp_backend, filter_add) -> "FwpmFilterAdd0".  NULL for an offset that is not a
 * function slot.  Usable for any backend table, loaded or not.
 */
const char *wfp_win_function_name(size_t slot_offset);

/*
 * The first fwpuclnt export (in backend-table order) that the loaded fwpuclnt.dll lacks, or NULL
 * when every slot was resolved or the DLL has not been loaded.
 */
const char *wfp_win_missing_function(void);

#ifdef __cplusplus
}
#endif

#endif /* WFP_WIN_H */
