/* The embedded engine's state file: round trips, restarts, corruption, foreign files, the
   backup and recovery, crashes between the steps of a save, and the lock between processes. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform.h" /* sim_file_replace_stop_after: crashes between the steps of a save */
#include "test_sim.h"

static wfp_guid L_V4, F_PORT, F_ADDR, F_APP;
static char dir[256];
static char path[400];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void fresh_path(const char *name)
{
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    static const char *const suffixes[] = {".lock", ".bak", ".bak.lock"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char other[420];
        snprintf(other, sizeof other, "%s%s", path, suffixes[i]);
        unlink(other);
    }
}

static uint8_t *read_all(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(data, 1, (size_t)n, f);
    fclose(f);
    return data;
}

static void write_all(const char *p, const uint8_t *data, size_t len)
{
    FILE *f = fopen(p, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
}

static wfp_sim_engine *open_engine(void)
{
    wfp_sim_engine *e = NULL;
    CHECK_OK(wfp_sim_engine_create(path, &e));
    return e;
}

static uint64_t add_filter(wfp_handle h, uint32_t flags, const wfp_guid *sub, const wfp_guid *prov, uint16_t port)
{
    wfp_filter_condition0 c[3];
    memset(c, 0, sizeof c);
    c[0].fieldKey = F_PORT;
    c[0].conditionValue.type = WFP_UINT16;
    c[0].conditionValue.uint16 = port;
    static wfp_v4_addr_and_mask mask = {0xC0A80000u, 0xFFFF0000u};
    c[1].fieldKey = F_ADDR;
    c[1].conditionValue.type = WFP_V4_ADDR_MASK;
    c[1].conditionValue.v4AddrMask = &mask;
    static uint8_t app[] = {'\\', 0, 'a', 0, 0, 0};
    static wfp_byte_blob blob = {sizeof app, app};
    c[2].fieldKey = F_APP;
    c[2].matchType = WFP_MATCH_PREFIX;
    c[2].conditionValue.type = WFP_BYTE_BLOB_TYPE;
    c[2].conditionValue.byteBlob = &blob;
    wfp_filter0 f = test_filter(&L_V4, "persisted");
    f.displayData.description = (wfp_wchar *)test_w("with a description");
    f.flags = flags;
    if (sub != NULL)
        f.subLayerKey = *sub;
    f.providerKey = (wfp_guid *)prov;
    f.numFilterConditions = 3;
    f.filterCondition = c;
    f.weight.type = WFP_UINT8;
    f.weight.uint8 = 7;
    f.rawContext = 0x55AA;
    uint64_t id = 0;
    CHECK_OK(B->filter_add(h, &f, NULL, &id));
    return id;
}

static int filter_exists(wfp_handle h, uint64_t id)
{
    wfp_filter0 *f = NULL;
    uint32_t status = B->filter_get_by_id(h, id, &f);
    B->free_memory((void **)&f);
    return status == WFP_OK;
}

/* ---------------------------------------------------------------------------------------------- */

static void round_trip(void)
{
    fresh_path("roundtrip.state");
    wfp_sim_engine *e = open_engine();
    wfp_handle st = test_open(e, 0, 0), dyn = test_open(e, 1, 0);
    wfp_guid prov = test_guid(1), sub = test_guid(2), sub_static = test_guid(3);
    CHECK_OK(test_add_provider(st, &prov, WFP_PROVIDER_FLAG_PERSISTENT));
    CHECK_OK(test_add_sublayer(st, &sub, &prov, 0x4242, WFP_SUBLAYER_FLAG_PERSISTENT));
    CHECK_OK(test_add_sublayer(st, &sub_static, NULL, 7, 0));
    uint64_t persistent = add_filter(st, WFP_FILTER_FLAG_PERSISTENT, &sub, &prov, 80);
    uint64_t static_id = add_filter(st, 0, &sub_static, NULL, 81);
    uint64_t dynamic = add_filter(dyn, 0, NULL, NULL, 82);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    wfp_filter0 *before = NULL;
    CHECK_OK(B->filter_get_by_id(st, persistent, &before));
    B->engine_close(dyn);
    B->engine_close(st);
    wfp_sim_engine_release(e);

    e = open_engine();
    wfp_handle h = test_open(e, 0, 0);
    CHECK(filter_exists(h, persistent) && filter_exists(h, static_id) && !filter_exists(h, dynamic));
    wfp_filter0 *after = NULL;
    CHECK_OK(B->filter_get_by_id(h, persistent, &after));
    if (before != NULL && after != NULL) {
        CHECK(wfp_guid_equal(&before->filterKey, &after->filterKey));
        CHECK(*before->effectiveWeight.uint64 == *after->effectiveWeight.uint64);
        CHECK(after->weight.type == WFP_UINT8 && after->weight.uint8 == 7);
        CHECK(after->flags == WFP_FILTER_FLAG_PERSISTENT && after->rawContext == 0x55AA);
        CHECK(test_wstr_eq(after->displayData.description, "with a description"));
        CHECK(after->providerKey != NULL && wfp_guid_equal(after->providerKey, &prov));
        CHECK(wfp_guid_equal(&after->subLayerKey, &sub));
        CHECK(after->numFilterConditions == 3 && after->filterCondition[0].conditionValue.uint16 == 80 &&
              after->filterCondition[1].conditionValue.v4AddrMask->mask == 0xFFFF0000u &&
              after->filterCondition[2].matchType == WFP_MATCH_PREFIX &&
              after->filterCondition[2].conditionValue.byteBlob->size == 6);
    }
    B->free_memory((void **)&before);
    B->free_memory((void **)&after);
    wfp_sublayer0 *s = NULL;
    CHECK_OK(B->sublayer_get_by_key(h, &sub, &s));
    CHECK(s != NULL && s->weight == 0x4242 && s->flags == WFP_SUBLAYER_FLAG_PERSISTENT);
    B->free_memory((void **)&s);
    /* Filter ids keep growing past every id handed out before, dynamic ones included. */
    uint64_t next = add_filter(h, 0, NULL, NULL, 83);
    CHECK(next > dynamic);
    /* Persistent objects still refuse deletion while in use, after loading too. */
    CHECK_CODE(B->sublayer_delete_by_key(h, &sub), WFP_E_IN_USE);

    /* Restart: static objects go, persistent ones stay. */
    CHECK_OK(wfp_sim_engine_restart(e));
    CHECK(filter_exists(h, persistent) && !filter_exists(h, static_id) && !filter_exists(h, next));
    CHECK_CODE(B->sublayer_get_by_key(h, &sub_static, &s), WFP_E_SUBLAYER_NOT_FOUND);
    B->engine_close(h);
    wfp_sim_engine_release(e);
    e = open_engine();
    h = test_open(e, 0, 0);
    CHECK(filter_exists(h, persistent) && !filter_exists(h, static_id));
    CHECK(add_filter(h, 0, NULL, NULL, 84) > next);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* Saves happen at commit, only for durable changes; abort leaves the file alone. */
static void saves_at_commit(void)
{
    fresh_path("commit.state");
    wfp_sim_engine *e = open_engine();
    wfp_handle h = test_open(e, 0, 0), dyn = test_open(e, 1, 0);
    add_filter(h, 0, NULL, NULL, 1);
    size_t len0, len1;
    uint8_t *v0 = read_all(path, &len0);
    CHECK(v0 != NULL);
    CHECK_OK(B->transaction_begin(h, 0));
    add_filter(h, 0, NULL, NULL, 2);
    size_t mid_len;
    uint8_t *mid = read_all(path, &mid_len);
    CHECK(mid != NULL && mid_len == len0 && memcmp(mid, v0, len0) == 0); /* not yet */
    free(mid);
    CHECK_OK(B->transaction_abort(h));
    uint8_t *v1 = read_all(path, &len1);
    CHECK(v1 != NULL && len1 == len0 && memcmp(v0, v1, len0) == 0);
    free(v1);
    add_filter(dyn, 0, NULL, NULL, 3); /* dynamic: no save */
    v1 = read_all(path, &len1);
    CHECK(v1 != NULL && len1 == len0 && memcmp(v0, v1, len0) == 0);
    free(v1);
    CHECK_OK(B->transaction_begin(h, 0));
    add_filter(h, 0, NULL, NULL, 4);
    CHECK_OK(B->transaction_commit(h));
    v1 = read_all(path, &len1);
    CHECK(v1 != NULL && len1 > len0);
    free(v1);
    free(v0);
    B->engine_close(dyn);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* A damaged or foreign file is an error, never an empty engine, and is left as it was. */
static void damaged_files(void)
{
    fresh_path("damaged.state");
    wfp_sim_engine *e = open_engine();
    wfp_handle h = test_open(e, 0, 0);
    for (int i = 0; i < 5; i++)
        add_filter(h, 0, NULL, NULL, (uint16_t)i);
    B->engine_close(h);
    wfp_sim_engine_release(e);
    size_t len;
    uint8_t *good = read_all(path, &len);
    CHECK(good != NULL && len > 100);
    if (good == NULL)
        return;

    struct {
        const char *what;
        size_t cut;     /* truncate to this length, 0 = keep */
        long flip;      /* xor 0x40 into this byte, -1 = none */
        uint32_t want;
    } cases[] = {
        {"truncated payload", 0, -1, WFPKIT_E_STATE_CORRUPT},
        {"truncated header", 20, -1, WFPKIT_E_STATE_CORRUPT},
        {"empty", 0, -1, WFPKIT_E_STATE_CORRUPT},
        {"flipped payload byte", 0, 0, WFPKIT_E_STATE_CORRUPT},
        {"flipped checksum", 0, 33, WFPKIT_E_STATE_CORRUPT},
        {"flipped magic", 0, 1, WFPKIT_E_STATE_VERSION},
        {"unknown version", 0, 8, WFPKIT_E_STATE_VERSION},
    };
    cases[0].cut = len - 7;
    cases[2].cut = (size_t)-1;
    cases[3].flip = (long)(len - 30);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *bad = malloc(len);
        memcpy(bad, good, len);
        size_t bad_len = cases[i].cut == (size_t)-1 ? 0 : cases[i].cut ? cases[i].cut : len;
        if (cases[i].flip >= 0)
            bad[cases[i].flip] ^= 0x40;
        write_all(path, bad, bad_len);
        wfp_sim_engine *broken = NULL;
        uint32_t status = wfp_sim_engine_create(path, &broken);
        if (status != cases[i].want)
            printf("    case: %s\n", cases[i].what);
        CHECK_CODE(status, cases[i].want);
        CHECK(broken == NULL);
        size_t after_len;
        uint8_t *after = read_all(path, &after_len);
        CHECK(after != NULL && after_len == bad_len && memcmp(after, bad, bad_len) == 0);
        free(after);
        free(bad);
    }
    const char *foreign = "[settings]\nname = not ours\n";
    write_all(path, (const uint8_t *)foreign, strlen(foreign));
    wfp_sim_engine *other = NULL;
    CHECK_CODE(wfp_sim_engine_create(path, &other), WFPKIT_E_STATE_VERSION);
    write_all(path, (const uint8_t *)"WFPK", 4); /* our magic, cut short */
    CHECK_CODE(wfp_sim_engine_create(path, &other), WFPKIT_E_STATE_CORRUPT);
    /* Put the good file back: it loads again. */
    write_all(path, good, len);
    e = open_engine();
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 5);
    wfp_sim_engine_release(e);
    free(good);
}

/* When the file cannot be written, the commit fails and the engine keeps its old state. */
static void failed_save_rolls_back(void)
{
    char subdir[320];
    snprintf(subdir, sizeof subdir, "%s/vanishing", dir);
    mkdir(subdir, 0700);
    snprintf(path, sizeof path, "%s/state", subdir);
    wfp_sim_engine *e = open_engine();
    wfp_handle h = test_open(e, 0, 0);
    uint64_t kept = add_filter(h, 0, NULL, NULL, 1);
    char lock[420];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(path);
    unlink(lock);
    rmdir(subdir);
    wfp_filter0 f = test_filter(&L_V4, "lost");
    uint64_t id;
    CHECK_CODE(B->filter_add(h, &f, NULL, &id), WFPKIT_E_STATE_IO);
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    CHECK(stats.filters == 1 && filter_exists(h, kept));
    /* Dynamic changes never touch the file, so they still work. */
    wfp_handle dyn = test_open(e, 1, 0);
    CHECK_OK(B->filter_add(dyn, &f, NULL, &id));
    B->engine_close(dyn);
    B->engine_close(h);
    wfp_sim_engine_release(e);
}

/* Another writer's changes replace our static objects on reload; our dynamic objects survive
   unless what they refer to was deleted there. */
static void reload_keeps_dynamic(void)
{
    fresh_path("reload.state");
    wfp_sim_engine *a = open_engine();
    wfp_handle as = test_open(a, 0, 0), ad = test_open(a, 1, 0);
    wfp_guid doomed = test_guid(7);
    CHECK_OK(test_add_sublayer(as, &doomed, NULL, 3, 0));
    uint64_t in_doomed = add_filter(ad, 0, &doomed, NULL, 1);
    uint64_t in_universal = add_filter(ad, 0, NULL, NULL, 2);
    uint64_t static_a = add_filter(as, 0, NULL, NULL, 3);

    wfp_sim_engine *b = open_engine(); /* a second engine on the same file, like a second process */
    wfp_handle bs = test_open(b, 0, 0);
    CHECK(filter_exists(bs, static_a) && !filter_exists(bs, in_universal));
    CHECK_OK(B->sublayer_delete_by_key(bs, &doomed)); /* b cannot see a's dynamic filter in it */
    uint64_t static_b = add_filter(bs, 0, NULL, NULL, 4);
    CHECK(static_b > in_universal); /* the lock file shares the id counter */

    /* a's next read picks up b's writes. */
    CHECK(filter_exists(as, static_b));
    CHECK(filter_exists(as, in_universal) && !filter_exists(as, in_doomed));
    wfp_sublayer0 *s = NULL;
    CHECK_CODE(B->sublayer_get_by_key(as, &doomed, &s), WFP_E_SUBLAYER_NOT_FOUND);
    wfp_sim_stats stats;
    wfp_sim_engine_stats(a, &stats);
    CHECK(stats.filters == 3);
    /* The surviving dynamic filter still dies with its session. */
    B->engine_close(ad);
    CHECK(!filter_exists(as, in_universal));
    B->engine_close(as);
    B->engine_close(bs);
    wfp_sim_engine_release(a);
    wfp_sim_engine_release(b);
}

/* Two processes on one state file: a writer waits for the other's transaction, then sees its
   changes; nothing is lost and ids never collide. */
static void two_processes(void)
{
    fresh_path("shared.state");
    int ready[2], done[2];
    CHECK(pipe(ready) == 0 && pipe(done) == 0);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        wfp_sim_engine *ce = NULL;
        if (wfp_sim_engine_create(path, &ce) != WFP_OK)
            _exit(2);
        wfp_handle ch = test_open(ce, 0, 0);
        if (B->transaction_begin(ch, 0) != WFP_OK)
            _exit(3);
        wfp_filter0 f = test_filter(&L_V4, "child");
        f.filterKey = test_guid(1001);
        uint64_t id = 0;
        if (B->filter_add(ch, &f, NULL, &id) != WFP_OK)
            _exit(4);
        if (write(ready[1], &id, sizeof id) != (ssize_t)sizeof id)
            _exit(5);
        struct timespec pause = {0, 300 * 1000000L};
        nanosleep(&pause, NULL);
        if (B->transaction_commit(ch) != WFP_OK)
            _exit(6);
        /* Then wait for the parent's write and check it reached us. */
        uint64_t parent_id;
        if (read(done[0], &parent_id, sizeof parent_id) != (ssize_t)sizeof parent_id)
            _exit(7);
        wfp_filter0 *got = NULL;
        uint32_t status = B->filter_get_by_id(ch, parent_id, &got);
        B->free_memory((void **)&got);
        B->engine_close(ch);
        wfp_sim_engine_release(ce);
        _exit(status == WFP_OK ? 0 : 8);
    }
    wfp_sim_engine *e = open_engine();
    wfp_handle h = test_open(e, 0, 5000);
    wfp_handle quick = test_open(e, 0, 100);
    uint64_t child_id = 0;
    CHECK(read(ready[0], &child_id, sizeof child_id) == (ssize_t)sizeof child_id);
    /* The child holds the lock: a short timeout gives up, a long one waits for its commit. */
    wfp_filter0 f = test_filter(&L_V4, "parent");
    f.filterKey = test_guid(1002);
    uint64_t id = 0;
    uint64_t start = now_ms();
    CHECK_CODE(B->filter_add(quick, &f, NULL, &id), WFP_E_TIMEOUT);
    CHECK(now_ms() - start >= 90);
    start = now_ms();
    CHECK_OK(B->filter_add(h, &f, NULL, &id));
    CHECK(now_ms() - start >= 50); /* it waited for the child's commit */
    CHECK(id != child_id && id > child_id);
    CHECK(filter_exists(h, child_id)); /* reloaded before writing */
    CHECK(write(done[1], &id, sizeof id) == (ssize_t)sizeof id);
    int status = -1;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    B->engine_close(quick);
    B->engine_close(h);
    wfp_sim_engine_release(e);
    e = open_engine();
    h = test_open(e, 0, 0);
    CHECK(filter_exists(h, child_id) && filter_exists(h, id));
    B->engine_close(h);
    wfp_sim_engine_release(e);
    close(ready[0]);
    close(ready[1]);
    close(done[0]);
    close(done[1]);
}


/* ---------------------------------------------------------------------------------------------- */
/* Backup, recovery and crash safety                                                               */
/* ---------------------------------------------------------------------------------------------- */

#define HEADER_BYTES 48u
#define GENERATION_OFFSET 16u

static char backup[420];

static void fresh_pair(const char *name)
{
    fresh_path(name);
    snprintf(backup, sizeof backup, "%s.bak", path);
}

/* Opens the state file, adds one static filter (one save) and closes it again. */
static uint32_t commit_one(void)
{
    wfp_sim_engine *e = NULL;
    uint32_t status = wfp_sim_engine_create(path, &e);
    if (status != WFP_OK)
        return status;
    wfp_handle h = test_open(e, 0, 0);
    wfp_filter0 f = test_filter(&L_V4, "one more");
    uint64_t id;
    status = B->filter_add(h, &f, NULL, &id);
    B->engine_close(h);
    wfp_sim_engine_release(e);
    return status;
}

/* The filters a state file holds, or (size_t)-1 when it does not load. */
static size_t filters_in(const char *p)
{
    wfp_sim_engine *e = NULL;
    if (wfp_sim_engine_create(p, &e) != WFP_OK)
        return (size_t)-1;
    wfp_sim_stats stats;
    wfp_sim_engine_stats(e, &stats);
    wfp_sim_engine_release(e);
    return stats.filters;
}

static int same_bytes(const char *p, const uint8_t *want, size_t want_len)
{
    size_t len = 0;
    uint8_t *got = read_all(p, &len);
    int same = got != NULL && len == want_len && memcmp(got, want, len) == 0;
    free(got);
    return same;
}

static int exists(const char *p) { return access(p, F_OK) == 0; }

static wfp_sim_state_info inspect(void)
{
    wfp_sim_state_info info;
    memset(&info, 0xAB, sizeof info);
    CHECK_OK(wfp_sim_state_inspect(path, &info));
    return info;
}

/* Flipping any one bit of the header fails the open: the magic and version as a foreign file,
   everything from the header size on (generation included) as a corrupt one. */
static void every_header_bit_is_checked(void)
{
    fresh_pair("header.state");
    CHECK_OK(commit_one());
    CHECK_OK(commit_one());
    size_t len;
    uint8_t *good = read_all(path, &len);
    CHECK(good != NULL && len > HEADER_BYTES);
    if (good == NULL)
        return;
    CHECK(good[8] == 2 && good[12] == HEADER_BYTES && good[GENERATION_OFFSET] == 2); /* format 2 */
    for (size_t byte = 0; byte < HEADER_BYTES; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            good[byte] ^= (uint8_t)(1u << bit);
            write_all(path, good, len);
            wfp_sim_engine *e = NULL;
            uint32_t status = wfp_sim_engine_create(path, &e);
            uint32_t want = byte < 12 ? WFPKIT_E_STATE_VERSION : WFPKIT_E_STATE_CORRUPT;
            if (status != want)
                printf("    header byte %zu bit %d\n", byte, bit);
            CHECK_CODE(status, want);
            CHECK(e == NULL && same_bytes(path, good, len));
            if (e != NULL)
                wfp_sim_engine_release(e);
            good[byte] ^= (uint8_t)(1u << bit);
        }
    }
    write_all(path, good, len);
    CHECK(filters_in(path) == 2);
    free(good);
}

/* Each save keeps the file it replaces as <path>.bak (mode 0600): the state one save back. */
static void backup_holds_the_previous_state(void)
{
    fresh_pair("backup.state");
    CHECK_OK(commit_one());
    CHECK(!exists(backup)); /* the first save replaces nothing */
    for (uint64_t n = 2; n <= 4; n++) {
        size_t before_len;
        uint8_t *before = read_all(path, &before_len);
        CHECK_OK(commit_one());
        CHECK(before != NULL && same_bytes(backup, before, before_len));
        free(before);
        wfp_sim_state_info info = inspect();
        CHECK(info.status == WFP_OK && info.generation == n);
        CHECK(info.backup_status == WFP_OK && info.backup_generation == n - 1);
    }
    struct stat sb;
    CHECK(stat(backup, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK(filters_in(path) == 4 && filters_in(backup) == 3);
}

/* A truncated or bit-flipped state file fails with the corrupt code and changes neither file;
   the inspection reports the good backup, and recovery brings back the last good state. */
static void damaged_file_is_recovered_from_backup(void)
{
    for (int truncate = 0; truncate < 2; truncate++) {
        fresh_pair("recover.state");
        for (int i = 0; i < 3; i++)
            CHECK_OK(commit_one());
        size_t len, backup_len;
        uint8_t *damaged = read_all(path, &len);
        uint8_t *good_backup = read_all(backup, &backup_len);
        CHECK(damaged != NULL && good_backup != NULL && len > 100);
        if (damaged == NULL || good_backup == NULL)
            return;
        if (truncate)
            len -= 9;
        else
            damaged[len / 2] ^= 0x10;
        write_all(path, damaged, len);

        wfp_sim_engine *e = NULL;
        CHECK_CODE(wfp_sim_engine_create(path, &e), WFPKIT_E_STATE_CORRUPT);
        CHECK(e == NULL);
        CHECK(same_bytes(path, damaged, len) && same_bytes(backup, good_backup, backup_len));
        wfp_sim_state_info info = inspect();
        CHECK_CODE(info.status, WFPKIT_E_STATE_CORRUPT);
        CHECK(info.generation == 0);
        CHECK(info.backup_status == WFP_OK && info.backup_generation == 2);
        CHECK(same_bytes(path, damaged, len) && same_bytes(backup, good_backup, backup_len));

        CHECK_OK(wfp_sim_engine_recover(path));
        CHECK(same_bytes(path, good_backup, backup_len) && same_bytes(backup, good_backup, backup_len));
        CHECK(filters_in(path) == 2);
        CHECK_OK(wfp_sim_engine_recover(path)); /* nothing left to recover: nothing changes */
        CHECK(same_bytes(path, good_backup, backup_len));
        struct stat sb;
        CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
        /* Saving goes on from the recovered state, which becomes the next backup. */
        CHECK_OK(commit_one());
        CHECK(filters_in(path) == 3 && same_bytes(backup, good_backup, backup_len));
        free(damaged);
        free(good_backup);
    }
}

/* Recovery replaces nothing it should not: no backup, a damaged backup, a foreign file. */
static void recovery_refuses_what_it_cannot_fix(void)
{
    fresh_pair("refuse.state");
    CHECK_CODE(wfp_sim_engine_recover(path), WFP_ERROR_FILE_NOT_FOUND);
    CHECK(!exists(path) && !exists(backup));
    wfp_sim_state_info info = inspect();
    CHECK(info.status == WFP_ERROR_FILE_NOT_FOUND && info.backup_status == WFP_ERROR_FILE_NOT_FOUND);

    CHECK_OK(commit_one());
    size_t len;
    uint8_t *data = read_all(path, &len);
    CHECK(data != NULL && len > HEADER_BYTES);
    if (data == NULL)
        return;
    write_all(path, data, len - 1); /* damaged, and no backup yet */
    CHECK_CODE(wfp_sim_engine_recover(path), WFP_ERROR_FILE_NOT_FOUND);
    CHECK(same_bytes(path, data, len - 1));

    write_all(path, data, len);
    CHECK_OK(commit_one()); /* now the one-filter file is the backup */
    size_t backup_len;
    uint8_t *good_backup = read_all(backup, &backup_len);
    write_all(backup, data, len - 1);
    write_all(path, data, len - 2);
    CHECK_CODE(wfp_sim_engine_recover(path), WFPKIT_E_STATE_CORRUPT); /* both damaged */
    CHECK(same_bytes(path, data, len - 2) && same_bytes(backup, data, len - 1));

    write_all(backup, good_backup, backup_len);
    const char *foreign = "[settings]\nname = not ours\n";
    write_all(path, (const uint8_t *)foreign, strlen(foreign));
    CHECK_CODE(wfp_sim_engine_recover(path), WFPKIT_E_STATE_VERSION); /* not ours to replace */
    CHECK(same_bytes(path, (const uint8_t *)foreign, strlen(foreign)));

    unlink(path); /* a state file deleted by mistake comes back too */
    CHECK_OK(wfp_sim_engine_recover(path));
    CHECK(same_bytes(path, good_backup, backup_len) && filters_in(path) == 1);

    CHECK_CODE(wfp_sim_engine_recover(NULL), WFP_E_NULL_POINTER);
    CHECK_CODE(wfp_sim_state_inspect(NULL, &info), WFP_E_NULL_POINTER);
    CHECK_CODE(wfp_sim_state_inspect(path, NULL), WFP_E_NULL_POINTER);
    free(data);
    free(good_backup);
}

/* A save that stops after any of its steps, as if the process died there, leaves a state file
   that loads with the old or the new state and a backup that loads; the next save cleans up. */
static void crash_between_the_steps_of_a_save(void)
{
    for (unsigned step = 1; step <= 4; step++) {
        fresh_pair("crash.state");
        CHECK_OK(commit_one());
        CHECK_OK(commit_one()); /* state: 2 filters; backup: 1 */
        sim_file_replace_stop_after(step);
        uint32_t status = commit_one();
        sim_file_replace_stop_after(0);
        CHECK_CODE(status, WFPKIT_E_STATE_IO);
        size_t now = step == 4 ? 3 : 2;
        if (filters_in(path) != now)
            printf("    stopped after step %u\n", step);
        CHECK(filters_in(path) == now);
        wfp_sim_state_info info = inspect();
        CHECK(info.status == WFP_OK && info.backup_status == WFP_OK);
        CHECK(info.backup_generation == (step >= 3 ? 2u : 1u));
        CHECK(filters_in(backup) == (step >= 3 ? 2u : 1u));

        CHECK_OK(commit_one());
        CHECK(filters_in(path) == now + 1 && filters_in(backup) == now);
        char leftover[480];
        snprintf(leftover, sizeof leftover, "%s.tmp.%ld", path, (long)getpid());
        CHECK(!exists(leftover));
        snprintf(leftover, sizeof leftover, "%s.tmp.%ld", backup, (long)getpid());
        CHECK(!exists(leftover));
    }
}

/* Damage done to the state file while an engine has it open is caught before that file could
   become the backup: the good backup stays, and the save itself goes through. */
static void damaged_file_never_becomes_the_backup(void)
{
    fresh_pair("keep.state");
    CHECK_OK(commit_one());
    CHECK_OK(commit_one());
    wfp_sim_engine *e = open_engine();
    wfp_handle h = test_open(e, 0, 0);
    size_t len, backup_len;
    uint8_t *data = read_all(path, &len);
    uint8_t *good_backup = read_all(backup, &backup_len);
    CHECK(data != NULL && good_backup != NULL);
    if (data == NULL || good_backup == NULL)
        return;
    data[len - 5] ^= 0x01; /* the header, which tells other saves apart, stays as it was */
    write_all(path, data, len);
    add_filter(h, 0, NULL, NULL, 9);
    CHECK(same_bytes(backup, good_backup, backup_len));
    CHECK(filters_in(path) == 3);
    B->engine_close(h);
    wfp_sim_engine_release(e);
    free(data);
    free(good_backup);
}

/* A recovery by someone else is a change like another process's save: open engines reload. */
static void open_engines_see_a_recovery(void)
{
    fresh_pair("seen.state");
    for (int i = 0; i < 3; i++)
        CHECK_OK(commit_one());
    wfp_sim_engine *e = open_engine();
    wfp_handle h = test_open(e, 0, 0);
    uint64_t ids[8];
    CHECK(test_enum_filter_ids(h, NULL, 16, ids, 8) == 3);
    size_t len;
    uint8_t *data = read_all(path, &len);
    if (data != NULL)
        write_all(path, data, len / 2);
    CHECK_OK(wfp_sim_engine_recover(path));
    CHECK(test_enum_filter_ids(h, NULL, 16, ids, 8) == 2);
    uint64_t added = add_filter(h, 0, NULL, NULL, 10);
    CHECK(added > ids[1]); /* ids handed out before the recovery are never reused */
    CHECK(filters_in(path) == 3 && filters_in(backup) == 2);
    B->engine_close(h);
    wfp_sim_engine_release(e);
    free(data);
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void put_le(uint8_t *p, uint64_t x, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(x >> (8 * i));
}

/* Files of format 1 (a 40-byte header without its own checksum) still load; the next save writes
   format 2 and keeps the format 1 file as the backup. */
static void format_1_files_still_load(void)
{
    fresh_pair("v1.state");
    CHECK_OK(commit_one());
    CHECK_OK(commit_one());
    size_t len;
    uint8_t *v2 = read_all(path, &len);
    CHECK(v2 != NULL && len > HEADER_BYTES);
    if (v2 == NULL)
        return;
    size_t payload = len - HEADER_BYTES;
    uint8_t *v1 = malloc(40 + payload);
    memcpy(v1, "WFPKSIM1", 8);
    put_le(v1 + 8, 1, 4);
    put_le(v1 + 12, 40, 4);
    put_le(v1 + 16, 2, 8);
    put_le(v1 + 24, payload, 8);
    put_le(v1 + 32, fnv1a64(v2 + HEADER_BYTES, payload), 8);
    memcpy(v1 + 40, v2 + HEADER_BYTES, payload);
    write_all(path, v1, 40 + payload);
    CHECK(filters_in(path) == 2);
    wfp_sim_state_info info = inspect();
    CHECK(info.status == WFP_OK && info.generation == 2);
    v1[40 + payload / 2] ^= 0x04;
    write_all(path, v1, 40 + payload);
    CHECK_CODE(wfp_sim_engine_create(path, &(wfp_sim_engine *){NULL}), WFPKIT_E_STATE_CORRUPT);
    v1[40 + payload / 2] ^= 0x04;
    write_all(path, v1, 40 + payload);
    CHECK_OK(commit_one());
    size_t now_len;
    uint8_t *now = read_all(path, &now_len);
    CHECK(now != NULL && now[8] == 2 && filters_in(path) == 3);
    CHECK(same_bytes(backup, v1, 40 + payload));
    free(now);
    free(v1);
    free(v2);
}

int main(void)
{
    L_V4 = test_layer("ALE_AUTH_CONNECT_V4");
    F_PORT = test_field("IP_REMOTE_PORT");
    F_ADDR = test_field("IP_REMOTE_ADDRESS");
    F_APP = test_field("ALE_APP_ID");
    snprintf(dir, sizeof dir, "/tmp/wfp-sim-persist-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 2;
    static const test_case cases[] = {
        {"round_trip", round_trip},
        {"saves_at_commit", saves_at_commit},
        {"damaged_files", damaged_files},
        {"failed_save_rolls_back", failed_save_rolls_back},
        {"reload_keeps_dynamic", reload_keeps_dynamic},
        {"two_processes", two_processes},
        {"every_header_bit_is_checked", every_header_bit_is_checked},
        {"backup_holds_the_previous_state", backup_holds_the_previous_state},
        {"damaged_file_is_recovered_from_backup", damaged_file_is_recovered_from_backup},
        {"recovery_refuses_what_it_cannot_fix", recovery_refuses_what_it_cannot_fix},
        {"crash_between_the_steps_of_a_save", crash_between_the_steps_of_a_save},
        {"damaged_file_never_becomes_the_backup", damaged_file_never_becomes_the_backup},
        {"open_engines_see_a_recovery", open_engines_see_a_recovery},
        {"format_1_files_still_load", format_1_files_still_load},
    };
    int rc = test_run_all("persist", cases, sizeof cases / sizeof cases[0]);
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
