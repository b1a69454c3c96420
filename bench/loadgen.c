/*
 * loadgen.c: closed-loop `daemon.ping` load generator for blenderd and its C reference.
 *
 * One thread, one epoll set, N Unix-socket connections. Each connection keeps exactly one request
 * in flight: send, wait for the reply, check it, send the next. Latency is measured per request on
 * CLOCK_MONOTONIC from just before the write to just after the read that completed the reply.
 * Only requests that complete inside the measurement window (after the warm-up) are counted.
 *
 * The client is written to cost as little CPU per request as the server it measures: one write()
 * and one read() per request, no allocation, level-triggered epoll. It prints its own CPU use
 * (client_cpu, in cores) so a run where the client, not the server, was the bottleneck is visible.
 *
 * Each reply is checked: it must be a JSON object whose "id" equals the id sent and which has a
 * "result" member (and no "error"). The exact result bytes are not compared, so a server may format
 * its JSON differently. Lost connections, timeouts and bad replies are counted as errors.
 *
 * Output (one line on stdout, key=value):
 *   framing=ndjson conns=16 seconds=3.000 requests=N rps=X p50_us=.. p90_us=.. p99_us=.. max_us=..
 *   errors=E err_conn=.. err_timeout=.. err_reply=.. client_cpu=..
 * Exit status: 0 if the run completed with no errors and at least one request, 1 otherwise, 2 usage.
 *
 * Build: gcc -O2 -o loadgen loadgen.c   (no dependencies)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define RBUF_MIN 65536
#define MAX_REPLY (64u * 1024 * 1024)

typedef enum { NDJSON, HEADER } framing_t;

typedef struct {
    int fd;
    bool alive;
    bool inflight;
    long long id;      /* id of the request in flight */
    uint64_t sent_ns;  /* when it was written */
    char wbuf[160];    /* the request being written (normally written at once) */
    size_t wlen, woff;
    char *rbuf;        /* received bytes not yet consumed */
    size_t rlen, rcap;
} conn_t;

/* Options. */
static const char *opt_socket;
static int opt_conns = 1;
static framing_t opt_framing = NDJSON;
static double opt_seconds = 3.0, opt_warmup = 1.0, opt_timeout = 5.0;
static bool opt_check;  /* one request on one connection, then exit: a readiness probe */
static int opt_verbose_errors = 5;

/* State. */
static int ep;
static conn_t *conns;
static long long next_id = 1;
static uint64_t t_measure, t_end; /* measurement window [t_measure, t_end) */
static bool sending = true;       /* false once t_end passed: no new requests */
static uint64_t completed;        /* replies accepted inside the window */
static uint64_t completed_total;  /* replies accepted at all */
static uint64_t err_conn, err_timeout, err_reply;
static uint32_t *lat;             /* latencies in ns (saturating), inside the window */
static size_t lat_n, lat_cap;
static uint64_t lat_max;
static int alive_count;
static int inflight_count;        /* alive connections waiting for a reply */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void report_error(const char *what, int conn, const char *detail) {
    if (opt_verbose_errors > 0) {
        opt_verbose_errors--;
        fprintf(stderr, "loadgen: conn %d: %s%s%s\n", conn, what, detail ? ": " : "", detail ? detail : "");
    }
}

static void record(uint64_t ns) {
    if (lat_n == lat_cap) {
        lat_cap = lat_cap ? lat_cap * 2 : 1 << 20;
        lat = realloc(lat, lat_cap * sizeof *lat);
        if (!lat) { fprintf(stderr, "loadgen: out of memory\n"); exit(1); }
    }
    lat[lat_n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
    if (ns > lat_max) lat_max = ns;
}

static void conn_kill(conn_t *c) {
    if (!c->alive) return;
    c->alive = false;
    if (c->inflight) inflight_count--;
    c->inflight = false;
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    alive_count--;
}

/* ------------------------------------------------------------------------------------------ */
/* Reply checking: a small scanner, enough to find top-level members of one JSON object.        */
/* ------------------------------------------------------------------------------------------ */

static const char *skip_ws(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static const char *skip_string(const char *p, const char *e) {
    for (p++; p < e; p++) {
        if (*p == '"') return p + 1;
        if (*p == '\\') p++;
    }
    return NULL;
}

/* Skips any value (lenient: validating the server's JSON grammar is not the client's job). */
static const char *skip_value(const char *p, const char *e) {
    if (p >= e) return NULL;
    if (*p == '"') return skip_string(p, e);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < e; p++) {
            if (*p == '"') { if (!(p = skip_string(p, e))) return NULL; p--; }
            else if (*p == '{' || *p == '[') depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
        }
        return NULL;
    }
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
    return p;
}

/* Checks one reply body against the expected id. Returns NULL if fine, else what is wrong. */
static const char *check_reply(const char *p, const char *e, long long want_id, bool *is_notification) {
    *is_notification = false;
    p = skip_ws(p, e);
    if (p >= e || *p != '{') return "reply is not a JSON object";
    bool has_id = false, id_ok = false, has_result = false, has_error = false, has_method = false;
    p = skip_ws(p + 1, e);
    while (p < e && *p != '}') {
        if (*p != '"') return "malformed reply";
        const char *k = p + 1, *ke = skip_string(p, e);
        if (!ke) return "malformed reply";
        size_t kn = (size_t)(ke - 1 - k);
        p = skip_ws(ke, e);
        if (p >= e || *p != ':') return "malformed reply";
        p = skip_ws(p + 1, e);
        const char *v = p;
        if (!(p = skip_value(p, e))) return "malformed reply";
        if (kn == 2 && memcmp(k, "id", 2) == 0) {
            has_id = true;
            /* ids we send are positive integers: compare digit by digit, bounded by the value */
            long long got = 0;
            const char *d = v;
            while (d < p && *d >= '0' && *d <= '9' && got < (1LL << 60)) got = got * 10 + (*d++ - '0');
            id_ok = d == p && d != v && got == want_id;
        } else if (kn == 6 && memcmp(k, "result", 6) == 0) has_result = true;
        else if (kn == 5 && memcmp(k, "error", 5) == 0) has_error = true;
        else if (kn == 6 && memcmp(k, "method", 6) == 0) has_method = true;
        p = skip_ws(p, e);
        if (p < e && *p == ',') p = skip_ws(p + 1, e);
    }
    if (p >= e) return "truncated reply";
    if (has_method && !has_id) { *is_notification = true; return NULL; } /* server notification */
    if (has_error) return "error response";
    if (!has_id) return "reply without id";
    if (!id_ok) return "reply id does not match request id";
    if (!has_result) return "reply without result";
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Requests and replies.                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void want_write(conn_t *c, bool on) {
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void flush_write(conn_t *c) {
    while (c->woff < c->wlen) {
        ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (n > 0) { c->woff += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { want_write(c, true); return; }
        err_conn++;
        report_error("write failed", (int)(c - conns), strerror(errno));
        conn_kill(c);
        return;
    }
}

static void send_request(conn_t *c) {
    char body[96];
    c->id = next_id++;
    int bn = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"daemon.ping\"}", c->id);
    if (opt_framing == NDJSON) {
        memcpy(c->wbuf, body, (size_t)bn);
        c->wbuf[bn] = '\n';
        c->wlen = (size_t)bn + 1;
    } else {
        c->wlen = (size_t)snprintf(c->wbuf, sizeof c->wbuf, "Content-Length: %d\r\n\r\n%s", bn, body);
    }
    c->woff = 0;
    c->inflight = true;
    inflight_count++;
    c->sent_ns = now_ns();
    flush_write(c);
}

/* Finds the frame at the start of buf. Returns 1 and the body, 0 if incomplete, -1 if bad. */
static int next_frame(const char *buf, size_t len, const char **body, size_t *body_len, size_t *frame_len) {
    if (opt_framing == NDJSON) {
        const char *nl = memchr(buf, '\n', len);
        if (!nl) return len > MAX_REPLY ? -1 : 0;
        *body = buf;
        *body_len = (size_t)(nl - buf);
        *frame_len = *body_len + 1;
        return 1;
    }
    const char *hend = memmem(buf, len, "\r\n\r\n", 4);
    if (!hend) return len > 8192 ? -1 : 0;
    long long n = -1;
    for (const char *p = buf; p < hend + 2;) {
        const char *eol = memmem(p, (size_t)(hend + 2 - p), "\r\n", 2);
        if (strncasecmp(p, "Content-Length:", 15) == 0) n = strtoll(p + 15, NULL, 10);
        p = eol + 2;
    }
    if (n < 0 || n > MAX_REPLY) return -1;
    size_t hlen = (size_t)(hend + 4 - buf);
    if (len < hlen + (size_t)n) return 0;
    *body = hend + 4;
    *body_len = (size_t)n;
    *frame_len = hlen + (size_t)n;
    return 1;
}

static void on_readable(conn_t *c) {
    if (c->rcap - c->rlen < RBUF_MIN / 2) {
        c->rcap *= 2;
        c->rbuf = realloc(c->rbuf, c->rcap);
        if (!c->rbuf) { fprintf(stderr, "loadgen: out of memory\n"); exit(1); }
    }
    ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        err_conn++;
        report_error(n == 0 ? "server closed the connection" : "read failed", (int)(c - conns),
                     n == 0 ? NULL : strerror(errno));
        conn_kill(c);
        return;
    }
    uint64_t t = now_ns();
    c->rlen += (size_t)n;
    size_t off = 0;
    for (;;) {
        const char *body;
        size_t blen, flen;
        int r = next_frame(c->rbuf + off, c->rlen - off, &body, &blen, &flen);
        if (r == 0) break;
        if (r < 0) {
            err_reply++;
            report_error("unparsable reply framing", (int)(c - conns), NULL);
            conn_kill(c);
            return;
        }
        off += flen;
        bool notification;
        const char *bad = c->inflight ? check_reply(body, body + blen, c->id, &notification)
                                      : "reply with no request in flight";
        if (!bad && notification) continue;
        if (bad) {
            err_reply++;
            report_error(bad, (int)(c - conns), NULL);
            conn_kill(c); /* the stream can no longer be trusted to pair replies with requests */
            return;
        }
        c->inflight = false;
        inflight_count--;
        completed_total++;
        if (t >= t_measure && t < t_end) {
            completed++;
            record(t - c->sent_ns);
        }
        if (t >= t_end) sending = false;
        if (sending && !opt_check) send_request(c);
    }
    if (off > 0) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
}

/* Fails requests that have waited longer than the timeout (a hung or stopped server). */
static void check_timeouts(uint64_t t) {
    uint64_t limit = (uint64_t)(opt_timeout * 1e9);
    for (int i = 0; i < opt_conns; i++) {
        conn_t *c = &conns[i];
        if (c->alive && c->inflight && t - c->sent_ns > limit) {
            err_timeout++;
            report_error("request timed out", i, NULL);
            conn_kill(c);
        }
    }
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile, in microseconds. */
static double pct_us(double p) {
    if (lat_n == 0) return 0;
    size_t rank = (size_t)(p * (double)lat_n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > lat_n) rank = lat_n;
    return lat[rank - 1] / 1000.0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen --socket PATH [--conns N] [--framing ndjson|header] [--seconds S]\n"
            "               [--warmup S] [--timeout S] [--check]\n"
            "  --conns N      concurrent connections, one request in flight each (default 1)\n"
            "  --framing F    ndjson (one JSON per line) or header (Content-Length) (default ndjson)\n"
            "  --seconds S    measured duration (default 3)\n"
            "  --warmup S     unmeasured warm-up before it (default 1)\n"
            "  --timeout S    a request unanswered this long is an error (default 5)\n"
            "  --check        send one ping on one connection and exit 0 if answered (readiness probe)\n");
    exit(2);
}

int main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"socket", required_argument, 0, 's'}, {"conns", required_argument, 0, 'c'},
        {"framing", required_argument, 0, 'f'}, {"seconds", required_argument, 0, 'd'},
        {"warmup", required_argument, 0, 'w'}, {"timeout", required_argument, 0, 't'},
        {"check", no_argument, 0, 'k'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "s:c:f:d:w:t:kh", longopts, NULL)) != -1) {
        switch (o) {
        case 's': opt_socket = optarg; break;
        case 'c': opt_conns = atoi(optarg); break;
        case 'f':
            if (strcmp(optarg, "ndjson") == 0) opt_framing = NDJSON;
            else if (strcmp(optarg, "header") == 0) opt_framing = HEADER;
            else usage();
            break;
        case 'd': opt_seconds = atof(optarg); break;
        case 'w': opt_warmup = atof(optarg); break;
        case 't': opt_timeout = atof(optarg); break;
        case 'k': opt_check = true; break;
        default: usage();
        }
    }
    if (!opt_socket || opt_conns < 1 || opt_conns > MAX_CONNS || opt_seconds < 0 || opt_warmup < 0 ||
        opt_timeout <= 0 || optind != argc)
        usage();
    if (opt_check) { opt_conns = 1; opt_warmup = 0; opt_verbose_errors = 0; }

    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(opt_socket) >= sizeof addr.sun_path) { fprintf(stderr, "loadgen: socket path too long\n"); return 2; }
    strcpy(addr.sun_path, opt_socket);

    ep = epoll_create1(EPOLL_CLOEXEC);
    conns = calloc((size_t)opt_conns, sizeof *conns);
    for (int i = 0; i < opt_conns; i++) {
        conn_t *c = &conns[i];
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        /* Blocking connect (a full backlog waits instead of failing), then non-blocking I/O. */
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
            if (!opt_check) fprintf(stderr, "loadgen: connect %s: %s\n", opt_socket, strerror(errno));
            return 1;
        }
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        c->alive = true;
        c->rcap = RBUF_MIN;
        c->rbuf = malloc(c->rcap);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        alive_count++;
    }

    uint64_t t0 = now_ns();
    t_measure = t0 + (uint64_t)(opt_warmup * 1e9);
    t_end = opt_check ? UINT64_MAX : t_measure + (uint64_t)(opt_seconds * 1e9);
    uint64_t drain_deadline = 0, next_timeout_check = t0 + 100000000u;
    double cpu_at_measure = -1, cpu_at_end = -1;
    if (opt_warmup == 0) cpu_at_measure = cpu_seconds();

    for (int i = 0; i < opt_conns; i++) send_request(&conns[i]);

    struct epoll_event evs[256];
    for (;;) {
        uint64_t t = now_ns();
        if (cpu_at_measure < 0 && t >= t_measure) cpu_at_measure = cpu_seconds();
        if (t >= t_end && sending) sending = false;
        if (!sending && cpu_at_end < 0) {
            cpu_at_end = cpu_seconds();
            drain_deadline = t + (uint64_t)(opt_timeout * 1e9);
        }
        if (opt_check && completed_total > 0) break;
        if (alive_count == 0 || inflight_count == 0) break;
        if (!sending && t >= drain_deadline) break; /* stragglers are counted as timeouts below */
        if (t >= next_timeout_check) {
            check_timeouts(t);
            next_timeout_check = t + 100000000u;
        }
        /* Wake at least every 100 ms for timeouts, and at the window's edges. */
        uint64_t wake = next_timeout_check;
        if (sending && t_end < wake) wake = t_end;
        if (cpu_at_measure < 0 && t_measure < wake) wake = t_measure;
        int ms = wake > t ? (int)((wake - t + 999999) / 1000000) : 0;
        int n = epoll_wait(ep, evs, 256, ms);
        if (n < 0 && errno != EINTR) { perror("loadgen: epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (!c->alive) continue;
            if (evs[i].events & EPOLLOUT) {
                flush_write(c);
                if (c->alive && c->woff == c->wlen) want_write(c, false);
            }
            if (c->alive && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) on_readable(c);
        }
    }
    uint64_t t_stop = now_ns();
    if (cpu_at_end < 0) cpu_at_end = cpu_seconds();
    if (cpu_at_measure < 0) cpu_at_measure = cpu_at_end;
    for (int i = 0; i < opt_conns; i++)
        if (conns[i].alive && conns[i].inflight) {
            err_timeout++;
            report_error("no reply before the end of the run", i, NULL);
        }

    if (opt_check) return completed_total > 0 && err_conn + err_timeout + err_reply == 0 ? 0 : 1;

    /* The window may end early if every connection died: rate over the time actually measured. */
    uint64_t w_end = t_stop < t_end ? t_stop : t_end;
    double window = w_end > t_measure ? (double)(w_end - t_measure) / 1e9 : 0;
    qsort(lat, lat_n, sizeof *lat, cmp_u32);
    uint64_t errors = err_conn + err_timeout + err_reply;
    printf("framing=%s conns=%d seconds=%.3f requests=%llu rps=%.1f p50_us=%.1f p90_us=%.1f "
           "p99_us=%.1f max_us=%.1f errors=%llu err_conn=%llu err_timeout=%llu err_reply=%llu "
           "client_cpu=%.2f\n",
           opt_framing == NDJSON ? "ndjson" : "header", opt_conns, window,
           (unsigned long long)completed, window > 0 ? completed / window : 0.0, pct_us(0.50),
           pct_us(0.90), pct_us(0.99), lat_max / 1000.0, (unsigned long long)errors,
           (unsigned long long)err_conn, (unsigned long long)err_timeout, (unsigned long long)err_reply,
           window > 0 ? (cpu_at_end - cpu_at_measure) / window : 0.0);
    fflush(stdout);
    return errors == 0 && completed > 0 ? 0 : 1;
}
