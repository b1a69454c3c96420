/*
 * ping_server.c: the physical reference for blenderd's `daemon.ping` benchmark.
 *
 * A minimal libuv Unix-socket server that speaks the subset of blenderd's transport needed to
 * answer `daemon.ping` (see ARCHITECTURE.md, "Transport and framing"):
 *
 *   - The framing is chosen per connection by its first byte: `{` or `[` selects newline-delimited
 *     JSON (one message per line), `C` selects the LSP base protocol
 *     (`Content-Length: N\r\n` ... `\r\n\r\n` + N bytes of body). Replies use the same framing.
 *   - Every message is really scanned: the whole JSON value is validated by a small hand scanner
 *     (strings with escapes, numbers, literals, nesting up to a depth limit), and the top-level
 *     "jsonrpc", "id" and "method" members are located. No allocation, no tree.
 *   - `daemon.ping` gets {"jsonrpc":"2.0","id":<same id>,"result":{"pong":true}}; other methods get
 *     -32601, malformed requests -32600, unparsable JSON -32700 (id null). Notifications (no "id")
 *     get no reply. Batches (`[...]`) are answered with an array, as JSON-RPC 2.0 requires.
 *
 * It exists so the benchmark measures blenderd against what one libuv loop thread can physically do
 * for the same protocol work, on the same machine, facing the same client (bench/loadgen.c).
 *
 * Usage: ping_server SOCKET_PATH
 *        ping_server --socket SOCKET_PATH [--log-level LEVEL]   (blenderd's flags, ignored level)
 *
 * Build: gcc -O2 -o ping_server ping_server.c $(pkg-config --cflags --libs libuv)
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

/* Same default as blenderd's max frame size. */
#define MAX_FRAME (64u * 1024 * 1024)
/* Maximum JSON nesting depth accepted by the scanner. */
#define MAX_DEPTH 64
/* Minimum free space offered to libuv for each read. */
#define READ_CHUNK (64 * 1024)

/* ------------------------------------------------------------------------------------------ */
/* JSON scanning: validate a value and find the members we need, without building anything.     */
/* ------------------------------------------------------------------------------------------ */

static const char *skip_ws(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* p points at '"'. Returns the position after the closing quote, or NULL if malformed. */
static const char *skip_string(const char *p, const char *e) {
    for (p++; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL; /* control characters must be escaped */
        if (c == '\\') {
            if (++p >= e) return NULL;
            switch (*p) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't': break;
            case 'u':
                if (e - p < 5) return NULL;
                for (int i = 1; i <= 4; i++) {
                    char h = p[i];
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
                        return NULL;
                }
                p += 4;
                break;
            default: return NULL;
            }
        }
    }
    return NULL;
}

static const char *skip_digits(const char *p, const char *e) {
    while (p < e && *p >= '0' && *p <= '9') p++;
    return p;
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *skip_number(const char *p, const char *e) {
    if (p < e && *p == '-') p++;
    if (p >= e) return NULL;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') p = skip_digits(p, e);
    else return NULL;
    if (p < e && *p == '.') {
        const char *q = skip_digits(++p, e);
        if (q == p) return NULL;
        p = q;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        const char *q = skip_digits(p, e);
        if (q == p) return NULL;
        p = q;
    }
    return p;
}

static const char *skip_literal(const char *p, const char *e, const char *lit, size_t n) {
    return ((size_t)(e - p) >= n && memcmp(p, lit, n) == 0) ? p + n : NULL;
}

/* p points at the first byte of a value (whitespace already skipped). Returns the end or NULL. */
static const char *skip_value(const char *p, const char *e, int depth) {
    if (p >= e) return NULL;
    switch (*p) {
    case '"': return skip_string(p, e);
    case 't': return skip_literal(p, e, "true", 4);
    case 'f': return skip_literal(p, e, "false", 5);
    case 'n': return skip_literal(p, e, "null", 4);
    case '{':
    case '[': {
        char close = *p == '{' ? '}' : ']';
        if (depth >= MAX_DEPTH) return NULL;
        p = skip_ws(p + 1, e);
        if (p < e && *p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                if (p >= e || *p != '"' || !(p = skip_string(p, e))) return NULL;
                p = skip_ws(p, e);
                if (p >= e || *p != ':') return NULL;
                p = skip_ws(p + 1, e);
            }
            if (!(p = skip_value(p, e, depth + 1))) return NULL;
            p = skip_ws(p, e);
            if (p >= e) return NULL;
            if (*p == close) return p + 1;
            if (*p != ',') return NULL;
            p = skip_ws(p + 1, e);
        }
    }
    default: return skip_number(p, e);
    }
}

/* A slice of the input buffer. */
typedef struct {
    const char *p;
    size_t n;
} span_t;

static bool span_eq(span_t s, const char *lit) {
    size_t n = strlen(lit);
    return s.p && s.n == n && memcmp(s.p, lit, n) == 0;
}

/* What the scanner learned about one top-level request object. */
typedef struct {
    span_t id;      /* raw JSON text of the "id" value (p == NULL: absent → notification) */
    span_t method;  /* contents of the "method" string, without quotes (p == NULL: absent/not a string) */
    span_t jsonrpc; /* contents of the "jsonrpc" string */
    bool id_valid;  /* id is a string, number or null */
} request_t;

/*
 * Scans one request object at p (whitespace skipped). Returns the end of the value, or NULL if the
 * text is not valid JSON. *is_object says whether it was an object at all (else: invalid request).
 * Member names are compared byte-wise: a key spelled with \u escapes is not recognised, which no
 * real client does and does not change the cost being measured.
 */
static const char *scan_request(const char *p, const char *e, request_t *req, bool *is_object) {
    memset(req, 0, sizeof *req);
    *is_object = p < e && *p == '{';
    if (!*is_object) return skip_value(p, e, 0);
    p = skip_ws(p + 1, e);
    if (p < e && *p == '}') return p + 1;
    for (;;) {
        if (p >= e || *p != '"') return NULL;
        const char *key = p + 1;
        if (!(p = skip_string(p, e))) return NULL;
        span_t k = {key, (size_t)(p - 1 - key)};
        p = skip_ws(p, e);
        if (p >= e || *p != ':') return NULL;
        p = skip_ws(p + 1, e);
        const char *v = p;
        if (!(p = skip_value(p, e, 1))) return NULL;
        span_t val = {v, (size_t)(p - v)};
        bool is_str = *v == '"';
        if (span_eq(k, "id")) {
            req->id = val;
            req->id_valid = is_str || *v == 'n' || *v == '-' || (*v >= '0' && *v <= '9');
        } else if (span_eq(k, "method")) {
            req->method = is_str ? (span_t){v + 1, val.n - 2} : (span_t){NULL, 0};
        } else if (span_eq(k, "jsonrpc")) {
            req->jsonrpc = is_str ? (span_t){v + 1, val.n - 2} : (span_t){NULL, 0};
        }
        p = skip_ws(p, e);
        if (p >= e) return NULL;
        if (*p == '}') return p + 1;
        if (*p != ',') return NULL;
        p = skip_ws(p + 1, e);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Output: a growable buffer that becomes the write request's own storage.                     */
/* ------------------------------------------------------------------------------------------ */

/* A write request that carries its buffer (freed in the write callback, or at once on failure). */
typedef struct {
    uv_write_t req;
    size_t len, cap;
    char data[];
} wbuf_t;

static wbuf_t *wbuf_reserve(wbuf_t *w, size_t extra) {
    size_t len = w ? w->len : 0, cap = w ? w->cap : 0;
    if (w && len + extra <= cap) return w;
    size_t ncap = cap ? cap : 256;
    while (ncap < len + extra) ncap *= 2;
    wbuf_t *n = realloc(w, sizeof *n + ncap);
    if (!n) { fprintf(stderr, "ping_server: out of memory\n"); exit(1); }
    if (!w) n->len = 0;
    n->cap = ncap;
    return n;
}

static wbuf_t *wbuf_append(wbuf_t *w, const char *s, size_t n) {
    w = wbuf_reserve(w, n);
    memcpy(w->data + w->len, s, n);
    w->len += n;
    return w;
}

#define WBUF_LIT(w, lit) wbuf_append((w), (lit), sizeof(lit) - 1)

/* Appends one response object (no framing). id_json NULL → "id":null. */
static wbuf_t *append_response(wbuf_t *w, span_t id, bool ok, int code, const char *message) {
    w = WBUF_LIT(w, "{\"jsonrpc\":\"2.0\",\"id\":");
    w = id.p ? wbuf_append(w, id.p, id.n) : WBUF_LIT(w, "null");
    if (ok) return WBUF_LIT(w, ",\"result\":{\"pong\":true}}");
    char tail[160];
    int n = snprintf(tail, sizeof tail, ",\"error\":{\"code\":%d,\"message\":\"%s\"}}", code, message);
    return wbuf_append(w, tail, (size_t)n);
}

/* Answers one request object already scanned. Returns whether something was appended. */
static bool answer(wbuf_t **w, const request_t *r, bool is_object) {
    if (!is_object) { *w = append_response(*w, (span_t){0}, false, -32600, "Invalid Request"); return true; }
    if (!r->jsonrpc.p || !span_eq(r->jsonrpc, "2.0") || !r->method.p || (r->id.p && !r->id_valid)) {
        span_t id = r->id_valid ? r->id : (span_t){0};
        *w = append_response(*w, id, false, -32600, "Invalid Request");
        return true;
    }
    if (!r->id.p) return false; /* notification: never answered */
    if (span_eq(r->method, "daemon.ping")) *w = append_response(*w, r->id, true, 0, NULL);
    else *w = append_response(*w, r->id, false, -32601, "Method not found");
    return true;
}

/*
 * Handles one complete JSON-RPC message (a single request or a batch) and appends the response
 * body, if any, to *w. Returns the number of body bytes appended (0: nothing to send).
 */
static size_t handle_message(wbuf_t **w, const char *p, const char *e) {
    size_t start = *w ? (*w)->len : 0;
    request_t r;
    bool is_object;
    p = skip_ws(p, e);
    if (p < e && *p == '[') {
        /* Batch: validate the whole text first, so a parse error yields a single -32700. */
        const char *end = skip_value(p, e, 0);
        if (!end || skip_ws(end, e) != e) goto parse_error;
        const char *q = skip_ws(p + 1, e);
        if (*q == ']') { *w = append_response(*w, (span_t){0}, false, -32600, "Invalid Request"); goto done; }
        size_t open_at = *w ? (*w)->len : 0;
        *w = WBUF_LIT(*w, "[");
        bool any = false;
        for (;;) {
            bool first = !any;
            if (!first) *w = WBUF_LIT(*w, ","); /* speculative separator, dropped if unanswered */
            size_t before = (*w)->len;
            q = scan_request(q, e, &r, &is_object);
            if (answer(w, &r, is_object)) any = true;
            else (*w)->len = first ? before : before - 1;
            q = skip_ws(q, e);
            if (*q == ']') break;
            q = skip_ws(q + 1, e); /* ',' */
        }
        if (any) *w = WBUF_LIT(*w, "]");
        else (*w)->len = open_at; /* only notifications: no response at all */
        goto done;
    }
    {
        const char *end = scan_request(p, e, &r, &is_object);
        if (!end || skip_ws(end, e) != e) goto parse_error;
        answer(w, &r, is_object);
        goto done;
    }
parse_error:
    *w = append_response(*w, (span_t){0}, false, -32700, "Parse error");
done:
    return (*w ? (*w)->len : 0) - start;
}

/* ------------------------------------------------------------------------------------------ */
/* Connections and framing.                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef enum { FRAMING_UNKNOWN, FRAMING_NDJSON, FRAMING_HEADER } framing_t;

typedef struct {
    uv_pipe_t pipe;   /* first member: the handle pointer is the connection pointer */
    framing_t framing;
    char *buf;        /* received bytes not yet consumed */
    size_t len, cap;
    size_t scanned;   /* ndjson: bytes already searched for '\n' */
} conn_t;

static uv_loop_t *loop;
static uv_pipe_t server;
static uv_signal_t sig_int, sig_term;
static const char *socket_path;

static void on_conn_closed(uv_handle_t *h) {
    conn_t *c = (conn_t *)h;
    free(c->buf);
    free(c);
}

static void conn_close(conn_t *c) {
    if (!uv_is_closing((uv_handle_t *)&c->pipe)) uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
    (void)status;
    conn_close((conn_t *)req->handle);
    free(req);
}

/* Ends a connection after a protocol error: queued replies (the error response) go out first. */
static void conn_end(conn_t *c) {
    uv_read_stop((uv_stream_t *)&c->pipe);
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req || uv_shutdown(req, (uv_stream_t *)&c->pipe, on_shutdown) < 0) {
        free(req);
        conn_close(c);
    }
}

static void on_write(uv_write_t *req, int status) {
    (void)status; /* a failed write shows up as a read error/EOF on the same connection */
    free(req);
}

static void flush(conn_t *c, wbuf_t *w) {
    if (!w) return;
    if (w->len == 0) { free(w); return; }
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_write);
    if (rc < 0) { free(w); conn_close(c); } /* a failed uv_write never calls its callback */
}

/* Appends Content-Length framing around a body already appended at offset body_at. */
static wbuf_t *frame_header(wbuf_t *w, size_t body_at) {
    size_t body_len = w->len - body_at;
    char hdr[48];
    int hn = snprintf(hdr, sizeof hdr, "Content-Length: %zu\r\n\r\n", body_len);
    w = wbuf_reserve(w, (size_t)hn);
    memmove(w->data + body_at + hn, w->data + body_at, body_len);
    memcpy(w->data + body_at, hdr, (size_t)hn);
    w->len += (size_t)hn;
    return w;
}

/* Parses a header block [p, e) (without the final blank line). Returns Content-Length or -1. */
static long long header_content_length(const char *p, const char *e) {
    long long len = -1;
    while (p < e) {
        const char *eol = memchr(p, '\r', (size_t)(e - p));
        if (!eol) eol = e;
        static const char name[] = "content-length:";
        if ((size_t)(eol - p) > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
            const char *v = skip_ws(p + sizeof name - 1, eol);
            if (v == eol) return -1;
            len = 0;
            for (; v < eol && *v >= '0' && *v <= '9'; v++) {
                len = len * 10 + (*v - '0');
                if (len > MAX_FRAME) return -1;
            }
            if (skip_ws(v, eol) != eol) return -1;
        }
        p = eol + 2; /* skip "\r\n" */
    }
    return len;
}

/*
 * Consumes every complete message in c->buf and appends the framed responses to *w.
 * Returns false if the connection must be closed (unrecoverable framing error).
 */
static bool process(conn_t *c, wbuf_t **w) {
    size_t off = 0;
    bool keep = true;
    if (c->framing == FRAMING_UNKNOWN && c->len > 0) {
        char b = c->buf[0];
        if (b == '{' || b == '[') c->framing = FRAMING_NDJSON;
        else if (b == 'C') c->framing = FRAMING_HEADER;
        else return false; /* not a protocol we speak */
    }
    if (c->framing == FRAMING_NDJSON) {
        for (;;) {
            size_t from = off > c->scanned ? off : c->scanned;
            char *nl = memchr(c->buf + from, '\n', c->len - from);
            if (!nl) { c->scanned = c->len; break; }
            const char *line = c->buf + off, *end = nl;
            if (end > line && end[-1] == '\r') end--;
            if (skip_ws(line, end) != end) /* blank lines are ignored */
                if (handle_message(w, line, end) > 0) *w = WBUF_LIT(*w, "\n");
            off = (size_t)(nl - c->buf) + 1;
        }
        if (c->len - off > MAX_FRAME) keep = false; /* a line longer than any allowed frame */
    } else {
        for (;;) {
            char *hend = memmem(c->buf + off, c->len - off, "\r\n\r\n", 4);
            if (!hend) {
                if (c->len - off > 8192) keep = false; /* header block too long: not our protocol */
                break;
            }
            long long n = header_content_length(c->buf + off, hend + 2);
            if (n < 0) {
                /* No usable Content-Length: the stream cannot be resynchronised. */
                size_t body_at = *w ? (*w)->len : 0;
                *w = append_response(*w, (span_t){0}, false, -32700, "Parse error");
                *w = frame_header(*w, body_at);
                keep = false;
                break;
            }
            const char *body = hend + 4;
            if ((size_t)(c->buf + c->len - body) < (size_t)n) break; /* body incomplete */
            size_t body_at = *w ? (*w)->len : 0;
            if (handle_message(w, body, body + n) > 0) *w = frame_header(*w, body_at);
            off = (size_t)(body - c->buf) + (size_t)n;
        }
    }
    if (off > 0) {
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
        c->scanned = c->scanned > off ? c->scanned - off : 0;
    }
    return keep;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    conn_t *c = (conn_t *)h;
    if (c->cap - c->len < READ_CHUNK) {
        size_t ncap = c->cap ? c->cap * 2 : READ_CHUNK;
        while (ncap - c->len < READ_CHUNK) ncap *= 2;
        char *nb = realloc(c->buf, ncap);
        if (!nb) { *buf = uv_buf_init(NULL, 0); return; } /* libuv reports UV_ENOBUFS */
        c->buf = nb;
        c->cap = ncap;
    }
    *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    (void)buf;
    conn_t *c = (conn_t *)s;
    if (nread < 0) { conn_close(c); return; } /* EOF or error */
    if (nread == 0) return;
    c->len += (size_t)nread;
    wbuf_t *w = NULL;
    bool keep = process(c, &w);
    flush(c, w); /* one write per read: all responses produced by this read, in order */
    if (!keep && !uv_is_closing((uv_handle_t *)&c->pipe)) conn_end(c);
}

static void on_connection(uv_stream_t *srv, int status) {
    if (status < 0) { fprintf(stderr, "ping_server: accept: %s\n", uv_strerror(status)); return; }
    conn_t *c = calloc(1, sizeof *c);
    if (!c) return;
    uv_pipe_init(loop, &c->pipe, 0);
    if (uv_accept(srv, (uv_stream_t *)&c->pipe) < 0 ||
        uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
        conn_close(c);
}

/* ------------------------------------------------------------------------------------------ */
/* Lifecycle.                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static void close_any(uv_handle_t *h, void *arg) {
    (void)arg;
    if (uv_is_closing(h)) return;
    if (h->type == UV_NAMED_PIPE && h != (uv_handle_t *)&server) conn_close((conn_t *)h);
    else uv_close(h, NULL);
}

/* SIGINT/SIGTERM: close every handle so the loop ends and the socket file is removed. */
static void on_signal(uv_signal_t *s, int signum) {
    (void)s; (void)signum;
    uv_walk(loop, close_any, NULL);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) socket_path = argv[++i];
        else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) i++; /* accepted, ignored */
        else if (argv[i][0] != '-' && !socket_path) socket_path = argv[i];
        else { socket_path = NULL; break; }
    }
    if (!socket_path) {
        fprintf(stderr, "usage: ping_server SOCKET_PATH\n"
                        "       ping_server --socket SOCKET_PATH [--log-level LEVEL]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();

    umask(0077); /* socket 0600, like blenderd */
    unlink(socket_path);
    int rc;
    if ((rc = uv_pipe_init(loop, &server, 0)) < 0 ||
        (rc = uv_pipe_bind(&server, socket_path)) < 0 ||
        (rc = uv_listen((uv_stream_t *)&server, 1024, on_connection)) < 0) {
        fprintf(stderr, "ping_server: %s: %s\n", socket_path, uv_strerror(rc));
        return 1;
    }
    uv_signal_init(loop, &sig_int);
    uv_signal_init(loop, &sig_term);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_start(&sig_term, on_signal, SIGTERM);

    uv_run(loop, UV_RUN_DEFAULT);
    unlink(socket_path);
    rc = uv_loop_close(loop);
    return rc == 0 ? 0 : 1;
}
