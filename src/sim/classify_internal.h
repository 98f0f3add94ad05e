/*
 * Shared by classify.c (arbitration and the entry points), classify_match.c (one condition, one
 * filter), classify_index.c (the equality index), events.c (net events) and snapshot.c.
 */
#ifndef WFP_SIM_CLASSIFY_INTERNAL_H
#define WFP_SIM_CLASSIFY_INTERNAL_H

#include "sim_internal.h"
#include "wfp/classify.h"

/*
 * A classify value in the engine's compact form, so it compares with sim_cond directly: scalars
 * in bits exactly as sim_encode_value stores them, everything else as bytes (strings with their
 * terminator, like the stored payloads).  A token list stays a pointer.
 */
typedef struct sim_input {
    uint32_t type; /* WFP_EMPTY when the field is unknown or absent */
    uint32_t len;
    uint64_t bits;
    const uint8_t *data;
    const wfp_token_information *token;
} sim_input;

/* classify_match.c */
/* Converts and checks values: inputs has layer->num_fields entries, absent ones WFP_EMPTY.
   On error *bad is the offending value's index. */
uint32_t sim_inputs_build(const wfp_layer_info *layer, const wfp_classify_value *values, uint32_t n,
                          sim_input *inputs, uint32_t *bad);
int sim_condition_matches(const sim_filter *f, const sim_cond *c, const sim_input *v);
/* §5.4: no conditions match; same field ORed (wherever they sit, [I]), different fields ANDed. */
int sim_filter_matches(const sim_filter *f, const sim_input *inputs);

/* classify_index.c: per (layer, sublayer), filters reachable by hashing an equality value */

/* The candidates of one slot, merged in arbitration order.  Streams point into index lists that
   stay put until the engine's filters change (sim_index_generation). */
typedef struct sim_index_stream {
    sim_filter *const *at;  /* list entries, NULL ones deleted; NULL for a single filter */
    sim_filter *const *end;
    sim_filter *one;        /* the single filter of a key one filter holds, until taken */
} sim_index_stream;

typedef struct sim_candidates {
    sim_index_stream *streams;
    size_t count;
    size_t cap;
    sim_index_stream inline_streams[16];
    uint64_t last_id; /* a filter reachable through two keys comes out once */
    int started;
} sim_candidates;

void sim_candidates_init(sim_candidates *c);
void sim_candidates_free(sim_candidates *c);
/* Gathers the slot's candidates for these inputs; WFP_OK or out of memory. */
uint32_t sim_index_candidates(sim_engine *e, size_t layer, const sim_sublayer *sublayer,
                              const sim_input *inputs, sim_candidates *out);
/* Next candidate in (effective weight desc, id asc) order, NULL when done. */
sim_filter *sim_candidates_next(sim_candidates *c);
/* Bumped by every add and delete of a filter. */
uint64_t sim_index_generation(const sim_engine *e);
/* Bytes held by the index (for the engine's statistics). */
size_t sim_index_bytes(const sim_engine *e);

/* events.c */
void sim_events_record(sim_engine *e, uint32_t type, uint64_t filter_id, const wfp_layer_info *layer,
                       const sim_input *inputs);

#endif /* WFP_SIM_CLASSIFY_INTERNAL_H */
