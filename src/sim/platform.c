/* OS glue for the embedded engine: pthreads/flock on POSIX, SRWLOCK/LockFileEx on Windows. */
#ifndef _WIN32
#define _DEFAULT_SOURCE 1 /* flock, fsync and clock_gettime under -std=c11 (glibc) */
#define _DARWIN_C_SOURCE 1
#endif

#include "platform.h"

#include <stdlib.h>
#include <string.h>

#include "wfp/errors.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

/* Mixes clock, address and counter bits: the fallback when the OS has no entropy source. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static void weak_entropy(void *buf, size_t len)
{
    static uint64_t counter;
    uint8_t *out = buf;
    uint64_t seed = sim_monotonic_ms() ^ ((uint64_t)(uintptr_t)buf << 16) ^ (uint64_t)(uintptr_t)&counter;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t word = mix64(seed + ++counter * 0x9e3779b97f4a7c15ull);
        size_t n = len - i < 8 ? len - i : 8;
        memcpy(out + i, &word, n);
    }
}

#if defined(__linux__) && defined(MADV_HUGEPAGE)
#define HUGE_PAGE_BYTES ((size_t)2 << 20)

/* From half a huge page up, the rounding to whole huge pages costs less than the TLB misses it
   saves.  sim_free_large makes the same choice from the same size. */
static int large_mapped(size_t bytes) { return bytes >= HUGE_PAGE_BYTES / 2 && bytes <= SIZE_MAX / 2; }

static size_t large_rounded(size_t bytes) { return (bytes + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1); }

void *sim_zalloc_large(size_t bytes)
{
    if (!large_mapped(bytes))
        return calloc(1, bytes > 0 ? bytes : 1);
    /* A fresh mapping comes zeroed; one huge page more leaves room to align it to one. */
    size_t rounded = large_rounded(bytes);
    void *m = mmap(NULL, rounded + HUGE_PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uintptr_t start = (uintptr_t)m, aligned = (start + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
    size_t head = (size_t)(aligned - start), tail = HUGE_PAGE_BYTES - head;
    if (head > 0)
        munmap(m, head);
    if (tail > 0)
        munmap((void *)(aligned + rounded), tail);
    (void)madvise((void *)aligned, rounded, MADV_HUGEPAGE); /* a hint: failure changes nothing */
    return (void *)aligned;
}

void sim_free_large(void *p, size_t bytes)
{
    if (p != NULL && large_mapped(bytes))
        munmap(p, large_rounded(bytes));
    else
        free(p);
}
#else
void *sim_zalloc_large(size_t bytes) { return calloc(1, bytes > 0 ? bytes : 1); }

void sim_free_large(void *p, size_t bytes)
{
    (void)bytes;
    free(p);
}
#endif

static unsigned replace_stop_step;

void sim_file_replace_stop_after(unsigned step) { replace_stop_step = step; }

static int replace_stops_after(unsigned step) { return replace_stop_step == step; }

/* Chunk size of sim_file_scan. */
#define SCAN_CHUNK (1u << 20)

#ifdef _WIN32
/* ------------------------------------------------------------------------------------------ */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0601 /* SRWLOCK, CONDITION_VARIABLE, GetTickCount64: Windows 7+ */
#endif
#define WIN32_LEAN_AND_MEAN
#include <wchar.h>
#include <windows.h>

struct sim_mutex {
    SRWLOCK lock;
};
struct sim_cond {
    CONDITION_VARIABLE cv;
};
struct sim_file_lock {
    HANDLE handle;
};

sim_mutex *sim_mutex_create(void)
{
    sim_mutex *m = malloc(sizeof *m);
    if (m != NULL)
        InitializeSRWLock(&m->lock);
    return m;
}
void sim_mutex_destroy(sim_mutex *m) { free(m); }
void sim_mutex_lock(sim_mutex *m) { AcquireSRWLockExclusive(&m->lock); }
void sim_mutex_unlock(sim_mutex *m) { ReleaseSRWLockExclusive(&m->lock); }

sim_cond *sim_cond_create(void)
{
    sim_cond *c = malloc(sizeof *c);
    if (c != NULL)
        InitializeConditionVariable(&c->cv);
    return c;
}
void sim_cond_destroy(sim_cond *c) { free(c); }
void sim_cond_broadcast(sim_cond *c) { WakeAllConditionVariable(&c->cv); }

int sim_cond_wait_until(sim_cond *c, sim_mutex *m, uint64_t deadline_ms)
{
    DWORD wait = INFINITE;
    if (deadline_ms != UINT64_MAX) {
        uint64_t now = sim_monotonic_ms();
        if (now >= deadline_ms)
            return 1;
        uint64_t left = deadline_ms - now;
        wait = left >= INFINITE ? INFINITE - 1 : (DWORD)left;
    }
    if (!SleepConditionVariableSRW(&c->cv, &m->lock, wait, 0))
        return GetLastError() == ERROR_TIMEOUT ? (sim_monotonic_ms() >= deadline_ms) : 0;
    return 0;
}

static SRWLOCK global_lock = SRWLOCK_INIT;
void sim_global_lock(void) { AcquireSRWLockExclusive(&global_lock); }
void sim_global_unlock(void) { ReleaseSRWLockExclusive(&global_lock); }

uint64_t sim_monotonic_ms(void) { return (uint64_t)GetTickCount64(); }
void sim_sleep_ms(uint32_t ms) { Sleep(ms); }

void sim_entropy(void *buf, size_t len)
{
    weak_entropy(buf, len);
    /* Fold in the process id and the high-resolution counter so two processes started in the
       same millisecond still differ. */
    LARGE_INTEGER qpc;
    QueryPerformanceCounter(&qpc);
    uint64_t extra = mix64((uint64_t)qpc.QuadPart ^ ((uint64_t)GetCurrentProcessId() << 32));
    uint8_t *out = buf;
    for (size_t i = 0; i < len; i++)
        out[i] ^= (uint8_t)(extra >> (8 * (i % 8)));
}

/* Paths are UTF-8 in this API; Windows wants UTF-16. */
static wchar_t *widen(const char *path, const wchar_t *suffix)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, path, -1, NULL, 0);
    if (n <= 0)
        return NULL;
    size_t extra = suffix != NULL ? wcslen(suffix) : 0;
    wchar_t *w = malloc(((size_t)n + extra) * sizeof(wchar_t));
    if (w == NULL)
        return NULL;
    MultiByteToWideChar(CP_UTF8, 0, path, -1, w, n);
    if (suffix != NULL)
        wcscat(w, suffix);
    return w;
}

uint32_t sim_file_read(const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    wchar_t *w = widen(path, NULL);
    if (w == NULL)
        return WFPKIT_E_STATE_IO;
    HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        return (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) ? WFP_ERROR_FILE_NOT_FOUND
                                                                        : WFPKIT_E_STATE_IO;
    }
    LARGE_INTEGER size;
    uint32_t status = WFPKIT_E_STATE_IO;
    if (GetFileSizeEx(h, &size) && (uint64_t)size.QuadPart < (uint64_t)SIZE_MAX) {
        size_t total = (size_t)size.QuadPart;
        uint8_t *buf = malloc(total ? total : 1);
        size_t got = 0;
        while (buf != NULL && got < total) {
            DWORD chunk = total - got > 0x40000000u ? 0x40000000u : (DWORD)(total - got);
            DWORD n = 0;
            if (!ReadFile(h, buf + got, chunk, &n, NULL) || n == 0)
                break;
            got += n;
        }
        if (buf != NULL && got == total) {
            *data = buf;
            *len = total;
            status = WFP_OK;
        } else {
            free(buf);
        }
    }
    CloseHandle(h);
    return status;
}

uint32_t sim_file_read_prefix(const char *path, void *buf, size_t len, size_t *got)
{
    *got = 0;
    wchar_t *w = widen(path, NULL);
    if (w == NULL)
        return WFPKIT_E_STATE_IO;
    HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        return (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) ? WFP_ERROR_FILE_NOT_FOUND
                                                                        : WFPKIT_E_STATE_IO;
    }
    DWORD n = 0;
    BOOL ok = ReadFile(h, buf, (DWORD)len, &n, NULL);
    CloseHandle(h);
    if (!ok)
        return WFPKIT_E_STATE_IO;
    *got = n;
    return WFP_OK;
}

static HANDLE open_for_reading(const char *path, uint32_t *status)
{
    wchar_t *w = widen(path, NULL);
    if (w == NULL) {
        *status = WFPKIT_E_STATE_IO;
        return INVALID_HANDLE_VALUE;
    }
    HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        *status = (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) ? WFP_ERROR_FILE_NOT_FOUND
                                                                          : WFPKIT_E_STATE_IO;
    }
    return h;
}

uint32_t sim_file_scan(const char *path, int (*visit)(void *arg, const uint8_t *data, size_t len),
                       void *arg)
{
    uint32_t status = WFP_OK;
    HANDLE h = open_for_reading(path, &status);
    if (h == INVALID_HANDLE_VALUE)
        return status;
    uint8_t *buf = malloc(SCAN_CHUNK);
    status = buf != NULL ? WFP_OK : WFP_ERROR_NOT_ENOUGH_MEMORY;
    while (status == WFP_OK) {
        DWORD n = 0;
        if (!ReadFile(h, buf, SCAN_CHUNK, &n, NULL))
            status = WFPKIT_E_STATE_IO;
        else if (n == 0 || visit(arg, buf, n) != 0)
            break;
    }
    free(buf);
    CloseHandle(h);
    return status;
}

/* "<path><suffix><pid>" as UTF-16. */
static wchar_t *widen_with_pid(const char *path, const wchar_t *suffix)
{
    wchar_t tail[48];
    wchar_t digits[16];
    size_t n = 0, end = wcslen(suffix);
    unsigned long pid = (unsigned long)GetCurrentProcessId();
    do {
        digits[n++] = (wchar_t)(L'0' + pid % 10);
        pid /= 10;
    } while (pid > 0);
    wcscpy(tail, suffix);
    while (n > 0)
        tail[end++] = digits[--n];
    tail[end] = L'\0';
    return widen(path, tail);
}

static int flush_file(const wchar_t *path)
{
    HANDLE h = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return 0;
    int ok = FlushFileBuffers(h) != 0;
    CloseHandle(h);
    return ok;
}

/* Makes copy the same file as src: 1 done, 0 src absent, -1 failed. */
static int snapshot_file(const wchar_t *src, const wchar_t *copy)
{
    DeleteFileW(copy);
    if (CreateHardLinkW(copy, src, NULL))
        return 1;
    DWORD e = GetLastError();
    if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
        return 0;
    /* FAT and some network shares have no hard links. */
    if (!CopyFileW(src, copy, FALSE)) {
        e = GetLastError();
        return (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) ? 0 : -1;
    }
    return flush_file(copy) ? 1 : -1;
}

uint32_t sim_file_replace(const char *path, const void *data, size_t len, const char *backup)
{
    wchar_t *tmp = widen_with_pid(path, L".tmp.");
    wchar_t *dst = widen(path, NULL);
    wchar_t *backup_tmp = backup != NULL ? widen_with_pid(backup, L".tmp.") : NULL;
    wchar_t *backup_dst = backup != NULL ? widen(backup, NULL) : NULL;
    uint32_t status = WFPKIT_E_STATE_IO;
    if (tmp == NULL || dst == NULL || (backup != NULL && (backup_tmp == NULL || backup_dst == NULL)))
        goto done;
    HANDLE h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE)
        goto done;
    const uint8_t *p = data;
    size_t written = 0;
    int ok = 1;
    while (ok && written < len) {
        DWORD chunk = len - written > 0x40000000u ? 0x40000000u : (DWORD)(len - written);
        DWORD n = 0;
        ok = WriteFile(h, p + written, chunk, &n, NULL) && n > 0;
        written += n;
    }
    ok = ok && FlushFileBuffers(h);
    CloseHandle(h);
    if (!ok) {
        DeleteFileW(tmp);
        goto done;
    }
    if (replace_stops_after(1))
        goto done;
    if (backup != NULL) {
        int made = snapshot_file(dst, backup_tmp);
        if (made > 0 && replace_stops_after(2))
            goto done;
        if (made < 0 || (made > 0 && !MoveFileExW(backup_tmp, backup_dst,
                                                  MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))) {
            DeleteFileW(backup_tmp);
            DeleteFileW(tmp);
            goto done;
        }
        DeleteFileW(backup_tmp); /* gone after the move; kept only if both names were one file */
        if (made > 0 && replace_stops_after(3))
            goto done;
    }
    if (!MoveFileExW(tmp, dst, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        DeleteFileW(tmp);
        goto done;
    }
    status = replace_stops_after(4) ? WFPKIT_E_STATE_IO : WFP_OK;
done:
    free(tmp);
    free(dst);
    free(backup_tmp);
    free(backup_dst);
    return status;
}

uint32_t sim_file_lock_open(const char *path, sim_file_lock **lock)
{
    *lock = NULL;
    wchar_t *w = widen(path, NULL);
    if (w == NULL)
        return WFPKIT_E_STATE_IO;
    HANDLE h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return WFPKIT_E_STATE_IO;
    sim_file_lock *l = malloc(sizeof *l);
    if (l == NULL) {
        CloseHandle(h);
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    l->handle = h;
    *lock = l;
    return WFP_OK;
}

void sim_file_lock_close(sim_file_lock *lock)
{
    if (lock == NULL)
        return;
    CloseHandle(lock->handle);
    free(lock);
}

/* Windows byte-range locks are mandatory, so lock a byte far past the shared data. */
#define LOCK_OFFSET_HIGH 0x7fffffffu

int sim_file_lock_try(sim_file_lock *lock)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.OffsetHigh = LOCK_OFFSET_HIGH;
    if (LockFileEx(lock->handle, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov))
        return 1;
    return GetLastError() == ERROR_LOCK_VIOLATION ? 0 : -1;
}

void sim_file_lock_release(sim_file_lock *lock)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.OffsetHigh = LOCK_OFFSET_HIGH;
    UnlockFileEx(lock->handle, 0, 1, 0, &ov);
}

size_t sim_file_lock_read(sim_file_lock *lock, void *buf, size_t len)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD n = 0;
    if (!ReadFile(lock->handle, buf, (DWORD)len, &n, &ov))
        return 0;
    return n;
}

int sim_file_lock_write(sim_file_lock *lock, const void *buf, size_t len)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD n = 0;
    return WriteFile(lock->handle, buf, (DWORD)len, &n, &ov) && n == len ? 0 : -1;
}

#else
/* ------------------------------------------------------------------------------------------ */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct sim_mutex {
    pthread_mutex_t mutex;
};
struct sim_cond {
    pthread_cond_t cond;
};
struct sim_file_lock {
    int fd;
};

sim_mutex *sim_mutex_create(void)
{
    sim_mutex *m = malloc(sizeof *m);
    if (m != NULL && pthread_mutex_init(&m->mutex, NULL) != 0) {
        free(m);
        m = NULL;
    }
    return m;
}

void sim_mutex_destroy(sim_mutex *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->mutex);
    free(m);
}

void sim_mutex_lock(sim_mutex *m) { pthread_mutex_lock(&m->mutex); }
void sim_mutex_unlock(sim_mutex *m) { pthread_mutex_unlock(&m->mutex); }

#if defined(__APPLE__)
#define SIM_COND_CLOCK CLOCK_REALTIME /* macOS has no pthread_condattr_setclock */
#else
#define SIM_COND_CLOCK CLOCK_MONOTONIC
#endif

sim_cond *sim_cond_create(void)
{
    sim_cond *c = malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
#if !defined(__APPLE__)
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
#endif
    int rc = pthread_cond_init(&c->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void sim_cond_destroy(sim_cond *c)
{
    if (c == NULL)
        return;
    pthread_cond_destroy(&c->cond);
    free(c);
}

void sim_cond_broadcast(sim_cond *c) { pthread_cond_broadcast(&c->cond); }

int sim_cond_wait_until(sim_cond *c, sim_mutex *m, uint64_t deadline_ms)
{
    if (deadline_ms == UINT64_MAX) {
        pthread_cond_wait(&c->cond, &m->mutex);
        return 0;
    }
    uint64_t now = sim_monotonic_ms();
    if (now >= deadline_ms)
        return 1;
    struct timespec ts;
    clock_gettime(SIM_COND_CLOCK, &ts);
    uint64_t left = deadline_ms - now;
    ts.tv_sec += (time_t)(left / 1000);
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec += 1;
        ts.tv_nsec -= 1000000000L;
    }
    int rc = pthread_cond_timedwait(&c->cond, &m->mutex, &ts);
    return rc == ETIMEDOUT && sim_monotonic_ms() >= deadline_ms;
}

static pthread_mutex_t global_mutex = PTHREAD_MUTEX_INITIALIZER;
void sim_global_lock(void) { pthread_mutex_lock(&global_mutex); }
void sim_global_unlock(void) { pthread_mutex_unlock(&global_mutex); }

uint64_t sim_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sim_sleep_ms(uint32_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void sim_entropy(void *buf, size_t len)
{
    weak_entropy(buf, len);
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    uint8_t extra[64];
    size_t want = len < sizeof extra ? len : sizeof extra;
    ssize_t n = read(fd, extra, want);
    close(fd);
    uint8_t *out = buf;
    for (ssize_t i = 0; i < n; i++)
        out[i] ^= extra[i];
}

static uint32_t open_error(void)
{
    return (errno == ENOENT || errno == ENOTDIR) ? WFP_ERROR_FILE_NOT_FOUND : WFPKIT_E_STATE_IO;
}

uint32_t sim_file_read(const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return open_error();
    struct stat st;
    uint32_t status = WFPKIT_E_STATE_IO;
    if (fstat(fd, &st) == 0 && st.st_size >= 0 && (uint64_t)st.st_size < (uint64_t)SIZE_MAX) {
        size_t total = (size_t)st.st_size;
        uint8_t *buf = malloc(total ? total : 1);
        size_t got = 0;
        while (buf != NULL && got < total) {
            ssize_t n = read(fd, buf + got, total - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (buf != NULL && got == total) {
            *data = buf;
            *len = total;
            status = WFP_OK;
        } else {
            free(buf);
        }
    }
    close(fd);
    return status;
}

uint32_t sim_file_read_prefix(const char *path, void *buf, size_t len, size_t *got)
{
    *got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return open_error();
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, (uint8_t *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    *got = done;
    return WFP_OK;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void sync_parent_directory(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (slash == NULL) {
        dir = malloc(2);
        if (dir != NULL)
            strcpy(dir, ".");
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(n + 1);
        if (dir != NULL) {
            memcpy(dir, path, n);
            dir[n] = '\0';
        }
    }
    if (dir == NULL)
        return;
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    free(dir);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

uint32_t sim_file_scan(const char *path, int (*visit)(void *arg, const uint8_t *data, size_t len),
                       void *arg)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return open_error();
    uint8_t *buf = malloc(SCAN_CHUNK);
    uint32_t status = buf != NULL ? WFP_OK : WFP_ERROR_NOT_ENOUGH_MEMORY;
    while (status == WFP_OK) {
        ssize_t n = read(fd, buf, SCAN_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            status = WFPKIT_E_STATE_IO;
        else if (n == 0 || visit(arg, buf, (size_t)n) != 0)
            break;
    }
    free(buf);
    close(fd);
    return status;
}

/* "<path><suffix><pid>", malloc'd. */
static char *with_pid(const char *path, const char *suffix)
{
    size_t n = strlen(path) + strlen(suffix) + 24;
    char *out = malloc(n);
    if (out != NULL)
        snprintf(out, n, "%s%s%ld", path, suffix, (long)getpid());
    return out;
}

/* A flushed 0600 copy of src: 1 done, 0 src absent, -1 failed. */
static int copy_file(const char *src, const char *copy)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno == ENOENT ? 0 : -1;
    int out = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int ok = out >= 0 && fchmod(out, 0600) == 0;
    uint8_t buf[65536];
    while (ok) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        ok = write_all(out, buf, (size_t)n) == 0;
    }
    ok = ok && fsync(out) == 0;
    if (out >= 0)
        ok = close(out) == 0 && ok;
    close(in);
    return ok ? 1 : -1;
}

/* Makes copy the same file as src: 1 done, 0 src absent, -1 failed. */
static int snapshot_file(const char *src, const char *copy)
{
    unlink(copy); /* left by an earlier run of this process that died */
    if (link(src, copy) == 0)
        return 1;
    if (errno == ENOENT)
        return 0;
    return copy_file(src, copy); /* a file system without hard links */
}

uint32_t sim_file_replace(const char *path, const void *data, size_t len, const char *backup)
{
    char *tmp = with_pid(path, ".tmp.");
    char *backup_tmp = backup != NULL ? with_pid(backup, ".tmp.") : NULL;
    uint32_t status = WFPKIT_E_STATE_IO;
    if (tmp == NULL || (backup != NULL && backup_tmp == NULL)) {
        status = WFP_ERROR_NOT_ENOUGH_MEMORY;
        goto done;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        goto done;
    /* An existing tmp file may carry a wider mode: the umask-independent 0600 is the point. */
    int ok = fchmod(fd, 0600) == 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(tmp);
        goto done;
    }
    if (replace_stops_after(1))
        goto done;
    if (backup != NULL) {
        int made = snapshot_file(path, backup_tmp);
        if (made > 0 && replace_stops_after(2))
            goto done;
        if (made < 0 || (made > 0 && rename(backup_tmp, backup) != 0)) {
            unlink(backup_tmp);
            unlink(tmp);
            goto done;
        }
        if (made > 0) {
            /* rename() does nothing when both names are links to one file (the backup already
               is the current file after a save that stopped before its last step). */
            unlink(backup_tmp);
            /* The backup is in place on disk before the file it keeps is replaced. */
            sync_parent_directory(backup);
            if (replace_stops_after(3))
                goto done;
        }
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        goto done;
    }
    sync_parent_directory(path);
    status = replace_stops_after(4) ? WFPKIT_E_STATE_IO : WFP_OK;
done:
    free(tmp);
    free(backup_tmp);
    return status;
}

uint32_t sim_file_lock_open(const char *path, sim_file_lock **lock)
{
    *lock = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return WFPKIT_E_STATE_IO;
    sim_file_lock *l = malloc(sizeof *l);
    if (l == NULL) {
        close(fd);
        return WFP_ERROR_NOT_ENOUGH_MEMORY;
    }
    l->fd = fd;
    *lock = l;
    return WFP_OK;
}

void sim_file_lock_close(sim_file_lock *lock)
{
    if (lock == NULL)
        return;
    close(lock->fd);
    free(lock);
}

int sim_file_lock_try(sim_file_lock *lock)
{
    for (;;) {
        if (flock(lock->fd, LOCK_EX | LOCK_NB) == 0)
            return 1;
        if (errno == EINTR)
            continue;
        return errno == EWOULDBLOCK ? 0 : -1;
    }
}

void sim_file_lock_release(sim_file_lock *lock) { flock(lock->fd, LOCK_UN); }

size_t sim_file_lock_read(sim_file_lock *lock, void *buf, size_t len)
{
    ssize_t n = pread(lock->fd, buf, len, 0);
    return n > 0 ? (size_t)n : 0;
}

int sim_file_lock_write(sim_file_lock *lock, const void *buf, size_t len)
{
    return pwrite(lock->fd, buf, len, 0) == (ssize_t)len ? 0 : -1;
}

#endif
