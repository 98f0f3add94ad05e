# Extern declarations of include/wfp/sim.h: the embedded engine's own API.
from libc.stdint cimport uint32_t, uint64_t

from wfp.includes.abi cimport wfp_session0
from wfp.includes.core cimport wfp_handle

cdef extern from "wfp/sim.h" nogil:
    ctypedef struct wfp_sim_engine:
        pass

    uint32_t wfp_sim_engine_create(const char *state_path, wfp_sim_engine **engine)
    void wfp_sim_engine_release(wfp_sim_engine *engine)
    uint32_t wfp_sim_session_open(wfp_sim_engine *engine, const wfp_session0 *session,
                                  wfp_handle *handle)
    wfp_sim_engine *wfp_sim_default_engine()
    wfp_sim_engine *wfp_sim_session_engine(wfp_handle handle)
    uint32_t wfp_sim_engine_restart(wfp_sim_engine *engine)

    ctypedef struct wfp_sim_stats:
        size_t providers
        size_t sublayers
        size_t filters
        size_t sessions
        size_t heap_bytes
        uint64_t next_filter_id

    void wfp_sim_engine_stats(wfp_sim_engine *engine, wfp_sim_stats *stats)
    void wfp_sim_inject_failure(wfp_sim_engine *engine, uint32_t kind, uint32_t nth, uint32_t code)

    ctypedef struct wfp_sim_state_info:
        uint32_t status
        uint32_t backup_status
        uint64_t generation
        uint64_t backup_generation

    uint32_t wfp_sim_state_inspect(const char *state_path, wfp_sim_state_info *info)
    uint32_t wfp_sim_engine_recover(const char *state_path)
