/*
 * wssload: a small, single-threaded load generator for WebSocket servers over
 * TLS (wss://).  epoll + non-blocking sockets + OpenSSL 3 as the TLS client.
 * It is the TLS counterpart of the plain ws:// generator and prints results
 * the same way: human-readable lines on stderr, one "RESULT key=value ..."
 * line on stdout.
 *
 * Build:  make            (cc -O2 -Wall -Wextra -o wssload wssload.c -lssl -lcrypto -lm)
 *
 * Modes:
 *   wssload [opts] echo C M       C connections to wss://HOST:PORT/PATH, each
 *                                 keeping M text messages of -s bytes in
 *                                 flight; every echo is timed and replaced.
 *   wssload [opts] handshake N    new TCP connection + full TLS handshake (no
 *                                 resumption), then close, with up to N in
 *                                 flight; --ws adds the WebSocket upgrade.
 *
 * Examples (pin client and server to different cores):
 *   taskset -c 1 ./wssload -p 24100 --server-pid $PID echo 100 10
 *   taskset -c 1 ./wssload -p 24100 --tls 1.2 handshake 32
 *   taskset -c 1 ./wssload -p 24100 --ws handshake 32
 *
 * Details:
 *  - Certificates are NOT verified (meant for 127.0.0.1 test servers with
 *    self-signed certificates).  The TLS version is pinned with --tls.
 *    Session caching and tickets are off on the client, so every handshake
 *    is a full one.
 *  - Upgrade: "GET PATH HTTP/1.1" with a random Sec-WebSocket-Key; the reply
 *    must start with "HTTP/1.1 101" and carry the matching
 *    Sec-WebSocket-Accept.
 *  - Echo payloads start with a 16-digit CLOCK_MONOTONIC ns timestamp
 *    (rest is 'x'), so latency = arrival time - that timestamp.  Client
 *    frames are masked (RFC 6455).  All frames that become ready for one
 *    connection while its input is processed go out in one SSL_write.
 *  - Server frames: unmasked (masked ones are accepted too), 7/16/64-bit
 *    lengths, fragmentation; pings get pongs, pongs are ignored, a close
 *    frame is answered and ends that connection (counted as "closed").
 *  - Timing: echo mode opens all connections first, then runs -w seconds of
 *    warm-up and -t seconds of measurement; only echoes that arrive in the
 *    measured window count.  Handshake mode does the same warm-up/window
 *    split; its latency runs from socket()/connect() to the completed TLS
 *    handshake (or to the 101 reply with --ws).  A failed handshake slot
 *    waits 10 ms before it tries again.
 *  - --server-pid reads utime+stime of /proc/PID/stat (all threads) at the
 *    window edges (10 ms tick resolution).
 *  - SIGINT/SIGTERM during the window ends it early; the report covers the
 *    shortened window (window_s=).  Extra key=value fields follow the fixed
 *    ones on the RESULT line; srv_cpu* are "na" without --server-pid.
 *  - Exit status: 0 = measured something, 1 = usage/setup error,
 *    2 = nothing measured (no connection or no sample in the window).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define NS 1000000000ULL
#define MAX_SIZE (1u << 20)     /* largest -s */
#define MAX_IN_FRAME (1u << 20) /* largest server frame payload accepted */
#define MAX_HEADER 16384        /* largest upgrade response header */
#define RETRY_NS (10 * 1000000ULL)

enum { MODE_ECHO, MODE_HS };
enum { ST_FREE, ST_CONNECTING, ST_TLS, ST_UPGRADE, ST_OPEN, ST_DEAD };
enum { PH_SETUP, PH_WARMUP, PH_MEASURE, PH_DONE };

typedef struct {
    int fd;
    uint8_t st;
    uint8_t in_msg;   /* inside a fragmented data message */
    uint8_t tslen;    /* timestamp bytes collected for the current message */
    uint8_t queued;   /* on the restart list (handshake mode) */
    uint32_t gen;     /* bumped on every release; tags epoll events */
    SSL *ssl;
    uint64_t t_start; /* when socket()/connect() was called */
    uint64_t deadline;
    uint64_t retry_at;
    uint64_t msg_len;
    uint32_t inflight;
    unsigned char *rbuf;
    uint32_t rlen, rcap;
    unsigned char *wbuf;
    uint32_t wlen, wcap;
    char ts[16];
    char accept[32]; /* expected Sec-WebSocket-Accept */
} conn_t;

/* ---- options ---- */
static const char *o_host = "127.0.0.1";
static int o_port = 8443;
static const char *o_path = "/echo";
static double o_time = 10, o_warmup = 1, o_timeout = 5;
static long o_size = 32;
static int o_tls13 = 1;
static int o_ws = 0;
static long o_pending = 64;
static long o_srvpid = 0;
static int o_quiet = 0;

/* ---- state ---- */
static int mode;
static long nconns, per_conn;   /* echo: C, M; handshake: N, - */
static conn_t *conns;
static int epfd = -1;
static SSL_CTX *ctx;
static struct sockaddr_storage addr;
static socklen_t addrlen;
static int use_sni;
static char hosthdr[300];
static int phase = PH_SETUP;
static uint64_t t_begin, t_run, t_win0, t_win1, t_end;
static volatile sig_atomic_t stop_flag;
static uint64_t rng = 88172645463325252ULL;
static int tls_shown;
static char tls_ver[32] = "-", tls_cipher[64] = "-", tls_group[32] = "-", tls_key[32] = "-";

/* counters */
static long next_conn, setting_up, settled, opened, failed, closed;
static long failed_win;
static uint64_t samples, bad, total_done, pings, ssl_writes, frames_out;
static uint64_t progress_last_n;
static long *freelist, *restart; /* handshake mode: slots waiting to (re)start */
static long nfree;

/* cpu */
static double cli_c0 = -1, cli_c1 = -1, srv_c0 = -1, srv_c1 = -1;

/* ---- latency histogram: log-linear, 64 sub-buckets per power of two ---- */
#define HSUB_BITS 6
#define HSUB (1 << HSUB_BITS)
#define HBUCKETS ((64 - HSUB_BITS + 1) * HSUB)
static uint64_t hist[HBUCKETS];
static uint64_t hcount, hmax, hmin = UINT64_MAX;
static double hsum;

static int hbucket(uint64_t v) {
    if (v < 2 * HSUB) return (int)v;
    int k = 63 - __builtin_clzll(v);
    int sh = k - HSUB_BITS;
    return (sh + 1) * HSUB + (int)((v >> sh) - HSUB);
}

static void hadd(uint64_t v) {
    hist[hbucket(v)]++;
    hcount++;
    hsum += (double)v;
    if (v > hmax) hmax = v;
    if (v < hmin) hmin = v;
}

/* value (ns) at quantile q: midpoint of the bucket holding that rank */
static double hquant(double q) {
    if (!hcount) return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)hcount);
    if (rank < 1) rank = 1;
    uint64_t acc = 0;
    for (int i = 0; i < HBUCKETS; i++) {
        acc += hist[i];
        if (acc >= rank) {
            double lo, w;
            if (i < 2 * HSUB) { lo = i; w = 1; }
            else {
                int sh = i / HSUB - 1;
                lo = (double)((uint64_t)(i % HSUB + HSUB) << sh);
                w = (double)(1ULL << sh);
            }
            double v = lo + w / 2;
            if (v > (double)hmax) v = (double)hmax;
            if (v < (double)hmin) v = (double)hmin;
            return v;
        }
    }
    return (double)hmax;
}

/* ---- small helpers ---- */
static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static double cpu_self(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime+stime of a process in seconds, -1 if unreadable */
static double cpu_proc(long pid) {
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long long ut, stt;
    /* after "comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt) != 2) return -1;
    return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}

static uint64_t rnd64(void) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static const char *ssl_reason(SSL *ssl, int ret, char *buf, size_t len) {
    int e = SSL_get_error(ssl, ret);
    unsigned long q = ERR_peek_last_error();
    if (q) ERR_error_string_n(q, buf, len);
    else if (e == SSL_ERROR_ZERO_RETURN) snprintf(buf, len, "peer sent close_notify");
    else if (e == SSL_ERROR_SYSCALL) snprintf(buf, len, "%s", errno ? strerror(errno) : "unexpected EOF");
    else snprintf(buf, len, "SSL error %d", e);
    ERR_clear_error();
    return buf;
}

/* ---- connection lifecycle ---- */
static void release(conn_t *c, int polite) {
    if (c->ssl) {
        if (polite) SSL_shutdown(c->ssl); /* one non-blocking close_notify, no wait */
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    ERR_clear_error();
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->gen++;
    c->rlen = c->wlen = 0;
    c->in_msg = 0;
    c->tslen = 0;
    c->inflight = 0;
}

static void note(const char *what, long idx, const char *why, long count) {
    if (!o_quiet && count <= 5) fprintf(stderr, "conn %ld %s: %s\n", idx, what, why);
}

/* a connection failed before it was fully set up */
static void setup_failed(conn_t *c, const char *why) {
    long idx = (long)(c - conns);
    release(c, 0);
    if (mode == MODE_ECHO) {
        c->st = ST_DEAD;
        failed++;
        setting_up--;
        settled++;
        note("failed", idx, why, failed);
    } else {
        failed++;
        if (phase == PH_MEASURE) failed_win++;
        note("handshake failed", idx, why, failed);
        c->st = ST_FREE;
        c->retry_at = now_ns() + RETRY_NS;
        if (!c->queued) { c->queued = 1; freelist[nfree++] = idx; }
    }
}

/* an open echo connection ended */
static void conn_lost(conn_t *c, const char *why, int polite) {
    long idx = (long)(c - conns);
    release(c, polite);
    c->st = ST_DEAD;
    closed++;
    note("closed", idx, why, closed);
}

static int begin_connect(conn_t *c) {
    c->t_start = now_ns();
    c->deadline = c->t_start + (uint64_t)(o_timeout * 1e9);
    c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) { setup_failed(c, strerror(errno)); return -1; }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&addr, addrlen) < 0 && errno != EINPROGRESS) {
        setup_failed(c, strerror(errno));
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                             .data.u64 = ((uint64_t)c->gen << 32) | (uint64_t)(c - conns)};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) { setup_failed(c, strerror(errno)); return -1; }
    c->st = ST_CONNECTING;
    return 0;
}

/* ---- output side ---- */
static int flush(conn_t *c) {
    while (c->wlen > 0) {
        int n = SSL_write(c->ssl, c->wbuf, (int)c->wlen);
        if (n > 0) {
            if (c->st == ST_OPEN) ssl_writes++;
            if ((uint32_t)n < c->wlen) memmove(c->wbuf, c->wbuf + n, c->wlen - (uint32_t)n);
            c->wlen -= (uint32_t)n;
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return 0;
        char why[160];
        ssl_reason(c->ssl, n, why, sizeof why);
        if (c->st == ST_OPEN) conn_lost(c, why, 0);
        else setup_failed(c, why);
        return -1;
    }
    return 0;
}

/* Append a masked frame.  payload NULL = echo message (timestamp + 'x').
 * Returns -1 if it does not fit in the bounded write buffer. */
static int put_frame(conn_t *c, int opcode, const unsigned char *payload, uint64_t len) {
    if ((uint64_t)c->wlen + 14 + len > c->wcap) return -1;
    unsigned char *p = c->wbuf + c->wlen;
    *p++ = (unsigned char)(0x80 | opcode);
    if (len < 126) *p++ = (unsigned char)(0x80 | len);
    else if (len < 65536) { *p++ = 0x80 | 126; *p++ = (unsigned char)(len >> 8); *p++ = (unsigned char)len; }
    else { *p++ = 0x80 | 127; for (int i = 7; i >= 0; i--) *p++ = (unsigned char)(len >> (8 * i)); }
    uint32_t m = (uint32_t)rnd64();
    unsigned char *mk = p;
    memcpy(mk, &m, 4);
    p += 4;
    if (payload) {
        memcpy(p, payload, len);
    } else {
        uint64_t t = now_ns();
        for (int i = 15; i >= 0; i--) { p[i] = (unsigned char)('0' + t % 10); t /= 10; }
        memset(p + 16, 'x', len - 16);
        frames_out++;
    }
    for (uint64_t i = 0; i < len; i++) p[i] ^= mk[i & 3];
    c->wlen = (uint32_t)(p + len - c->wbuf);
    return 0;
}

static int queue_upgrade(conn_t *c) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char raw[16], dig[EVP_MAX_MD_SIZE];
    char key[32], cat[80];
    unsigned int dlen = 0;
    uint64_t a = rnd64(), b = rnd64();
    memcpy(raw, &a, 8);
    memcpy(raw + 8, &b, 8);
    EVP_EncodeBlock((unsigned char *)key, raw, 16);
    snprintf(cat, sizeof cat, "%s%s", key, guid);
    if (!EVP_Digest(cat, strlen(cat), dig, &dlen, EVP_sha1(), NULL)) return -1;
    EVP_EncodeBlock((unsigned char *)c->accept, dig, (int)dlen);
    int n = snprintf((char *)c->wbuf + c->wlen, c->wcap - c->wlen,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nUser-Agent: wssload\r\n\r\n",
                     o_path, hosthdr, key);
    if (n < 0 || (uint32_t)n >= c->wcap - c->wlen) return -1;
    c->wlen += (uint32_t)n;
    return 0;
}

/* ---- phases ---- */
static void show_tls(SSL *ssl) {
    tls_shown = 1;
    snprintf(tls_ver, sizeof tls_ver, "%s", SSL_get_version(ssl));
    snprintf(tls_cipher, sizeof tls_cipher, "%s", SSL_get_cipher_name(ssl));
    int nid = SSL_get_negotiated_group(ssl);
    const char *g = (nid > 0 && !(nid & TLSEXT_nid_unknown)) ? OBJ_nid2sn(nid) : NULL;
    snprintf(tls_group, sizeof tls_group, "%s", g ? g : "-");
    X509 *cert = SSL_get0_peer_certificate(ssl);
    EVP_PKEY *pk = cert ? X509_get0_pubkey(cert) : NULL;
    if (pk) snprintf(tls_key, sizeof tls_key, "%s%d", EVP_PKEY_get0_type_name(pk), EVP_PKEY_get_bits(pk));
    if (!o_quiet)
        fprintf(stderr, "tls: %s %s group=%s server_key=%s\n", tls_ver, tls_cipher, tls_group, tls_key);
}

/* handshake mode: one attempt finished successfully */
static void hs_done(conn_t *c, uint64_t now) {
    if (phase == PH_MEASURE) { hadd(now - c->t_start); samples++; }
    total_done++;
    if (c->st == ST_UPGRADE) {
        static const unsigned char code[2] = {0x03, 0xe8}; /* 1000 */
        if (put_frame(c, 8, code, 2) == 0) SSL_write(c->ssl, c->wbuf, (int)c->wlen);
    }
    release(c, 1);
    c->st = ST_FREE;
    c->retry_at = now;
    if (!c->queued) { c->queued = 1; freelist[nfree++] = (long)(c - conns); }
}

static void start_run(uint64_t now) {
    phase = PH_WARMUP;
    t_run = now;
    t_win0 = now + (uint64_t)(o_warmup * 1e9);
    t_win1 = t_win0 + (uint64_t)(o_time * 1e9);
    if (mode != MODE_ECHO) return;
    for (long i = 0; i < nconns; i++) {
        conn_t *c = &conns[i];
        if (c->st != ST_OPEN) continue;
        for (long k = 0; k < per_conn; k++) {
            if (put_frame(c, 1, NULL, (uint64_t)o_size) < 0) break;
            c->inflight++;
        }
        flush(c);
    }
}

/* ---- input side ---- */
static int grow_rbuf(conn_t *c, uint64_t want) {
    if (want <= c->rcap) return 0;
    uint64_t cap = c->rcap ? c->rcap : 4096;
    while (cap < want) cap *= 2;
    unsigned char *nb = realloc(c->rbuf, cap);
    if (!nb) return -1;
    c->rbuf = nb;
    c->rcap = (uint32_t)cap;
    return 0;
}

/* a complete data message arrived on an echo connection */
static void message_done(conn_t *c, uint64_t now) {
    if (c->inflight) c->inflight--;
    total_done++;
    int ok = c->tslen == 16 && c->msg_len == (uint64_t)o_size;
    uint64_t ts = 0;
    for (int i = 0; ok && i < 16; i++) {
        if (c->ts[i] < '0' || c->ts[i] > '9') ok = 0;
        else ts = ts * 10 + (uint64_t)(c->ts[i] - '0');
    }
    if (ok && ts > now) ok = 0;
    if (!ok) bad++;
    else if (phase == PH_MEASURE) { hadd(now - ts); samples++; }
    if ((phase == PH_WARMUP || phase == PH_MEASURE) && c->inflight < (uint32_t)per_conn &&
        put_frame(c, 1, NULL, (uint64_t)o_size) == 0)
        c->inflight++;
}

/* parse frames in rbuf; -1 = connection ended */
static int parse_frames(conn_t *c, uint64_t now) {
    uint32_t off = 0;
    const char *err = NULL;
    while (c->rlen - off >= 2) {
        unsigned char *f = c->rbuf + off;
        uint32_t avail = c->rlen - off;
        uint64_t len = f[1] & 0x7f;
        uint32_t hl = 2;
        if (len == 126) {
            if (avail < 4) break;
            len = ((uint64_t)f[2] << 8) | f[3];
            hl = 4;
        } else if (len == 127) {
            if (avail < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++) len = (len << 8) | f[2 + i];
            hl = 10;
        }
        int masked = f[1] & 0x80;
        if (masked) hl += 4;
        if (avail < hl) break;
        int fin = f[0] & 0x80, op = f[0] & 0x0f;
        if (f[0] & 0x70) { err = "RSV bits set"; break; }
        if (op >= 8 && (!fin || len > 125)) { err = "bad control frame"; break; }
        if (len > MAX_IN_FRAME) { err = "frame too large"; break; }
        if (avail < hl + len) {
            if (hl + len > c->rcap) { /* make room for this frame */
                memmove(c->rbuf, f, avail);
                c->rlen = avail;
                off = 0;
                if (grow_rbuf(c, hl + len) < 0) { err = "out of memory"; break; }
            }
            break;
        }
        unsigned char *pl = f + hl;
        if (masked)
            for (uint64_t i = 0; i < len; i++) pl[i] ^= f[hl - 4 + (i & 3)];
        switch (op) {
        case 1:
        case 2:
            if (c->in_msg) { err = "new message inside a fragmented one"; break; }
            c->in_msg = 1;
            c->msg_len = 0;
            c->tslen = 0;
            /* fall through */
        case 0:
            if (!c->in_msg) { err = "unexpected continuation frame"; break; }
            /* the timestamp is the first 16 bytes of the message, maybe split over fragments;
             * while it is incomplete, tslen == msg_len */
            while (c->tslen < 16 && (uint64_t)c->tslen - c->msg_len < len) {
                c->ts[c->tslen] = (char)pl[c->tslen - c->msg_len];
                c->tslen++;
            }
            c->msg_len += len;
            if (fin) { c->in_msg = 0; message_done(c, now); }
            break;
        case 8: {
            char why[64];
            unsigned code = len >= 2 ? ((unsigned)pl[0] << 8 | pl[1]) : 1005;
            snprintf(why, sizeof why, "close frame from server (code %u)", code);
            c->wlen = 0;
            if (put_frame(c, 8, pl, len >= 2 ? 2 : 0) == 0) SSL_write(c->ssl, c->wbuf, (int)c->wlen);
            conn_lost(c, why, 1);
            return -1;
        }
        case 9:
            pings++;
            put_frame(c, 10, pl, len); /* dropped if the buffer is full */
            break;
        case 10:
            break;
        default:
            err = "unknown opcode";
        }
        if (err) break;
        off += hl + (uint32_t)len;
    }
    if (err) {
        conn_lost(c, err, 0);
        return -1;
    }
    if (off) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
    return 0;
}

/* check the upgrade response; 1 = done, 0 = need more, -1 = conn gone */
static int check_upgrade(conn_t *c, uint64_t now) {
    unsigned char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    if (!end) {
        if (c->rlen >= MAX_HEADER) { setup_failed(c, "upgrade response header too large"); return -1; }
        return 0;
    }
    uint32_t hlen = (uint32_t)(end - c->rbuf) + 4;
    if (c->rlen < 12 || memcmp(c->rbuf, "HTTP/1.1 101", 12) != 0) {
        char why[80];
        uint32_t n = 0;
        while (n < 40 && n < hlen && c->rbuf[n] != '\r') n++;
        snprintf(why, sizeof why, "upgrade refused: %.*s", (int)n, (char *)c->rbuf);
        setup_failed(c, why);
        return -1;
    }
    int accept_ok = 0;
    char *line = (char *)c->rbuf, *hend = (char *)c->rbuf + hlen;
    while (line < hend) {
        char *eol = memmem(line, (size_t)(hend - line), "\r\n", 2);
        if (!eol) break;
        static const char name[] = "sec-websocket-accept:";
        if ((size_t)(eol - line) > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0) {
            char *v = line + sizeof name - 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            accept_ok = (size_t)(ve - v) == strlen(c->accept) && memcmp(v, c->accept, (size_t)(ve - v)) == 0;
        }
        line = eol + 2;
    }
    if (!accept_ok) { setup_failed(c, "missing or wrong Sec-WebSocket-Accept"); return -1; }
    memmove(c->rbuf, c->rbuf + hlen, c->rlen - hlen);
    c->rlen -= hlen;
    if (mode == MODE_HS) { hs_done(c, now); return -1; }
    c->st = ST_OPEN;
    opened++;
    setting_up--;
    settled++;
    return 1;
}

/* read until the socket is drained; -1 = connection gone */
static int read_all(conn_t *c) {
    for (;;) {
        if (c->rlen == c->rcap) {
            if (c->st == ST_OPEN) { conn_lost(c, "input buffer full", 0); return -1; }
            if (grow_rbuf(c, (uint64_t)c->rcap * 2) < 0) { setup_failed(c, "out of memory"); return -1; }
        }
        int n = SSL_read(c->ssl, c->rbuf + c->rlen, (int)(c->rcap - c->rlen));
        if (n > 0) {
            c->rlen += (uint32_t)n;
            uint64_t now = now_ns();
            if (c->st == ST_UPGRADE) {
                int r = check_upgrade(c, now);
                if (r < 0) return -1;
                if (r == 0) continue;
            }
            if (parse_frames(c, now) < 0) return -1;
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
        char why[160];
        ssl_reason(c->ssl, n, why, sizeof why);
        if (c->st == ST_OPEN) conn_lost(c, why, 0);
        else setup_failed(c, why);
        return -1;
    }
}

static void on_event(conn_t *c, uint32_t ev) {
    if (c->st == ST_CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) err = errno;
        if (err) { setup_failed(c, strerror(err)); return; }
        if (!(ev & EPOLLOUT)) return;
        c->ssl = SSL_new(ctx);
        if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) { setup_failed(c, "SSL_new failed"); return; }
        if (use_sni) SSL_set_tlsext_host_name(c->ssl, o_host);
        c->st = ST_TLS;
    }
    if (c->st == ST_TLS) {
        int r = SSL_connect(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
            char why[160];
            setup_failed(c, ssl_reason(c->ssl, r, why, sizeof why));
            return;
        }
        if (!tls_shown) show_tls(c->ssl);
        if (mode == MODE_HS && !o_ws) { hs_done(c, now_ns()); return; }
        if (queue_upgrade(c) < 0) { setup_failed(c, "cannot build upgrade request"); return; }
        c->st = ST_UPGRADE;
    }
    if (flush(c) < 0) return;
    if (read_all(c) < 0) return;
    flush(c);
}

/* ---- setup ---- */
static void raise_nofile(long need) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return;
    if (rl.rlim_cur >= (rlim_t)need) return;
    rl.rlim_cur = (rlim_t)need <= rl.rlim_max ? (rlim_t)need : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)need) fprintf(stderr, "warning: RLIMIT_NOFILE %lu < %ld needed\n", (unsigned long)rl.rlim_cur, need);
}

static void usage(int code) {
    fprintf(stderr,
            "usage: wssload [options] echo C M | handshake N\n"
            "  echo C M         C connections, M messages in flight on each\n"
            "  handshake N      TCP connect + full TLS handshake + close, N in flight\n"
            "options:\n"
            "  -H, --host HOST        server address (default 127.0.0.1)\n"
            "  -p, --port PORT        server port (default 8443)\n"
            "  -P, --path PATH        upgrade request path (default /echo)\n"
            "  -t, --time SEC         measured duration (default 10)\n"
            "  -w, --warmup SEC       warm-up before measuring (default 1)\n"
            "  -s, --size BYTES       echo payload size, 16..%u (default 32)\n"
            "      --tls 1.2|1.3      TLS version (default 1.3)\n"
            "      --ws               handshake mode: also do the WebSocket upgrade\n"
            "      --timeout SEC      connect+TLS+upgrade limit per connection (default 5)\n"
            "      --pending N        echo: connections set up concurrently (default 64)\n"
            "      --server-pid PID   report that process's CPU use during the window\n"
            "  -q, --quiet            only the RESULT line and errors\n"
            "  -h, --help             this text\n"
            "stdout: RESULT mode=echo conns= rate= p50_us= p99_us= p999_us= cli_cpu= srv_cpu= srv_cpu_ns_per_msg= ...\n"
            "        RESULT mode=handshake rate= p50_us= p99_us= failed= srv_cpu= srv_cpu_us_per_handshake= ...\n"
            "exit: 0 ok, 1 usage/setup error, 2 nothing measured\n",
            MAX_SIZE);
    exit(code);
}

static double num_arg(const char *s, const char *what, double lo, double hi) {
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (errno || e == s || *e || !(v >= lo && v <= hi)) {
        fprintf(stderr, "bad %s: %s\n", what, s);
        exit(1);
    }
    return v;
}

static int resolve(void) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    char port[16];
    snprintf(port, sizeof port, "%d", o_port);
    int r = getaddrinfo(o_host, port, &hints, &ai);
    if (r) { fprintf(stderr, "cannot resolve %s: %s\n", o_host, gai_strerror(r)); return -1; }
    memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    unsigned char tmp[16];
    use_sni = !(inet_pton(AF_INET, o_host, tmp) == 1 || inet_pton(AF_INET6, o_host, tmp) == 1);
    if (strchr(o_host, ':')) snprintf(hosthdr, sizeof hosthdr, "[%s]:%d", o_host, o_port);
    else snprintf(hosthdr, sizeof hosthdr, "%s:%d", o_host, o_port);
    return 0;
}

static int make_ctx(void) {
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return -1;
    int v = o_tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, v);
    SSL_CTX_set_max_proto_version(ctx, v);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return 0;
}

/* ---- reporting ---- */
static int report(void) {
    double win = (double)(t_end - t_win0) / 1e9;
    if (win <= 0) win = 1e-9;
    double rate = (double)samples / win;
    int have_cpu = cli_c0 >= 0 && cli_c1 >= 0;
    int have_srv = srv_c0 >= 0 && srv_c1 >= 0;
    double cli = have_cpu ? (cli_c1 - cli_c0) / win : 0;
    double srv = have_srv ? (srv_c1 - srv_c0) / win : 0;
    char srvs[32] = "na", srvper[32] = "na";
    if (have_srv) snprintf(srvs, sizeof srvs, "%.3f", srv);
    if (mode == MODE_ECHO) {
        if (have_srv && samples) snprintf(srvper, sizeof srvper, "%.0f", (srv_c1 - srv_c0) * 1e9 / (double)samples);
        fprintf(stderr, "echo: conns=%ld opened=%ld failed=%ld closed=%ld setup_s=%.2f  echo frames per SSL_write call=%.2f\n",
                nconns, opened, failed, closed, (double)(t_run - t_begin) / 1e9,
                ssl_writes ? (double)frames_out / (double)ssl_writes : 0);
        fprintf(stderr, "echo: %.0f msg/s over %.2fs  lat p50=%.1fus p99=%.1fus p999=%.1fus max=%.1fus mean=%.1fus (n=%llu bad=%llu pings=%llu)\n",
                rate, win, hquant(.5) / 1e3, hquant(.99) / 1e3, hquant(.999) / 1e3, (double)hmax / 1e3,
                hcount ? hsum / (double)hcount / 1e3 : 0, (unsigned long long)samples, (unsigned long long)bad,
                (unsigned long long)pings);
        fprintf(stderr, "cpu during window: client %.0f%%", 100 * cli);
        if (have_srv) fprintf(stderr, ", server %.0f%% (%s ns/msg)", 100 * srv, srvper);
        fprintf(stderr, "\n");
        printf("RESULT mode=echo conns=%ld rate=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f cli_cpu=%.3f srv_cpu=%s "
               "srv_cpu_ns_per_msg=%s inflight=%ld size=%ld tls=%s opened=%ld failed=%ld closed=%ld samples=%llu "
               "bad=%llu max_us=%.1f mean_us=%.1f window_s=%.3f\n",
               nconns, rate, hquant(.5) / 1e3, hquant(.99) / 1e3, hquant(.999) / 1e3, cli, srvs, srvper, per_conn,
               o_size, tls_ver, opened, failed, closed, (unsigned long long)samples, (unsigned long long)bad,
               (double)hmax / 1e3, hcount ? hsum / (double)hcount / 1e3 : 0, win);
    } else {
        if (have_srv && samples) snprintf(srvper, sizeof srvper, "%.1f", (srv_c1 - srv_c0) * 1e6 / (double)samples);
        fprintf(stderr, "handshake: %.0f/s over %.2fs  lat p50=%.1fus p99=%.1fus p999=%.1fus max=%.1fus (n=%llu failed=%ld in window, %ld total)\n",
                rate, win, hquant(.5) / 1e3, hquant(.99) / 1e3, hquant(.999) / 1e3, (double)hmax / 1e3,
                (unsigned long long)samples, failed_win, failed);
        fprintf(stderr, "cpu during window: client %.0f%%", 100 * cli);
        if (have_srv) fprintf(stderr, ", server %.0f%% (%s us/handshake)", 100 * srv, srvper);
        fprintf(stderr, "\n");
        if (cli > 0.9) fprintf(stderr, "note: client near 100%% CPU, it may be the bottleneck\n");
        printf("RESULT mode=handshake rate=%.0f p50_us=%.1f p99_us=%.1f failed=%ld srv_cpu=%s srv_cpu_us_per_handshake=%s "
               "conc=%ld ws=%d tls=%s cipher=%s group=%s key=%s cli_cpu=%.3f done=%llu p999_us=%.1f max_us=%.1f "
               "failed_total=%ld window_s=%.3f\n",
               rate, hquant(.5) / 1e3, hquant(.99) / 1e3, failed_win, srvs, srvper, nconns, o_ws, tls_ver, tls_cipher,
               tls_group, tls_key, cli, (unsigned long long)samples, hquant(.999) / 1e3, (double)hmax / 1e3, failed,
               win);
    }
    fflush(stdout);
    return samples ? 0 : 2;
}

int main(int argc, char **argv) {
    static struct option lo[] = {{"host", 1, 0, 'H'},     {"port", 1, 0, 'p'},       {"path", 1, 0, 'P'},
                                 {"time", 1, 0, 't'},     {"warmup", 1, 0, 'w'},     {"size", 1, 0, 's'},
                                 {"tls", 1, 0, 1},        {"ws", 0, 0, 2},           {"timeout", 1, 0, 3},
                                 {"pending", 1, 0, 4},    {"server-pid", 1, 0, 5},   {"quiet", 0, 0, 'q'},
                                 {"help", 0, 0, 'h'},     {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "H:p:P:t:w:s:qh", lo, NULL)) != -1) {
        switch (opt) {
        case 'H': o_host = optarg; break;
        case 'p': o_port = (int)num_arg(optarg, "port", 1, 65535); break;
        case 'P': o_path = optarg; break;
        case 't': o_time = num_arg(optarg, "time", 0.001, 1e6); break;
        case 'w': o_warmup = num_arg(optarg, "warmup", 0, 1e6); break;
        case 's': o_size = (long)num_arg(optarg, "size", 16, MAX_SIZE); break;
        case 1:
            if (!strcmp(optarg, "1.3")) o_tls13 = 1;
            else if (!strcmp(optarg, "1.2")) o_tls13 = 0;
            else { fprintf(stderr, "--tls must be 1.2 or 1.3\n"); return 1; }
            break;
        case 2: o_ws = 1; break;
        case 3: o_timeout = num_arg(optarg, "timeout", 0.001, 3600); break;
        case 4: o_pending = (long)num_arg(optarg, "pending", 1, 1e6); break;
        case 5: o_srvpid = (long)num_arg(optarg, "server pid", 1, 1e9); break;
        case 'q': o_quiet = 1; break;
        case 'h': usage(0); break;
        default: usage(1);
        }
    }
    int rest = argc - optind;
    if (rest == 3 && !strcmp(argv[optind], "echo")) {
        mode = MODE_ECHO;
        nconns = (long)num_arg(argv[optind + 1], "C", 1, 1000000);
        per_conn = (long)num_arg(argv[optind + 2], "M", 1, 100000);
    } else if (rest == 2 && !strcmp(argv[optind], "handshake")) {
        mode = MODE_HS;
        nconns = (long)num_arg(argv[optind + 1], "N", 1, 100000);
    } else usage(1);
    if (o_path[0] != '/' || strpbrk(o_path, " \r\n")) { fprintf(stderr, "bad path: %s\n", o_path); return 1; }
    if (strlen(o_path) > 2000) { fprintf(stderr, "path too long\n"); return 1; }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (RAND_bytes((unsigned char *)&rng, sizeof rng) != 1 || !rng) rng ^= now_ns() | 1;
    if (resolve() < 0) return 1;
    if (make_ctx() < 0) { fprintf(stderr, "SSL_CTX_new failed\n"); return 1; }
    raise_nofile(nconns + 64);

    uint64_t wcap = 512 + strlen(o_path) + strlen(hosthdr);
    if (mode == MODE_ECHO) wcap += (uint64_t)per_conn * (uint64_t)(o_size + 14) + 256;
    if (wcap > (64u << 20)) { fprintf(stderr, "M x size too large\n"); return 1; }
    conns = calloc((size_t)nconns, sizeof *conns);
    freelist = calloc((size_t)nconns, sizeof *freelist);
    restart = calloc((size_t)nconns, sizeof *restart);
    if (!conns || !freelist || !restart) { fprintf(stderr, "out of memory\n"); return 1; }
    for (long i = 0; i < nconns; i++) {
        conns[i].fd = -1;
        conns[i].wcap = (uint32_t)wcap;
        conns[i].wbuf = malloc(wcap);
        if (!conns[i].wbuf || grow_rbuf(&conns[i], 4096) < 0) { fprintf(stderr, "out of memory\n"); return 1; }
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) { perror("epoll_create1"); return 1; }

    if (!o_quiet) {
        if (mode == MODE_ECHO)
            fprintf(stderr, "wssload: echo %ld conns x %ld in flight, %ld-byte text frames, wss://%s%s, TLS %s, warm-up %.1fs, measure %.1fs\n",
                    nconns, per_conn, o_size, hosthdr, o_path, o_tls13 ? "1.3" : "1.2", o_warmup, o_time);
        else
            fprintf(stderr, "wssload: handshake x %ld in flight%s, %s:%d, TLS %s, warm-up %.1fs, measure %.1fs\n",
                    nconns, o_ws ? " + WebSocket upgrade" : "", o_host, o_port, o_tls13 ? "1.3" : "1.2", o_warmup,
                    o_time);
    }

    t_begin = now_ns();
    if (mode == MODE_HS) {
        for (long i = 0; i < nconns; i++) { conns[i].queued = 1; conns[i].retry_at = 0; freelist[nfree++] = i; }
        start_run(t_begin);
    }

    struct epoll_event evs[512];
    uint64_t last_scan = t_begin, last_progress = 0;
    for (;;) {
        uint64_t now = now_ns();
        if (mode == MODE_ECHO && phase == PH_SETUP) {
            while (next_conn < nconns && setting_up < o_pending) {
                setting_up++;
                begin_connect(&conns[next_conn++]);
            }
            if (settled == nconns) {
                if (!o_quiet) fprintf(stderr, "%ld/%ld connections open in %.2fs (%ld failed)\n", opened, nconns,
                                      (double)(now - t_begin) / 1e9, failed);
                if (!opened) {
                    fprintf(stderr, "no connection could be opened\n");
                    t_run = t_win0 = t_end = now;
                    return report();
                }
                start_run(now);
                last_progress = now;
            }
        }
        if (phase == PH_WARMUP && now >= t_win0) {
            phase = PH_MEASURE;
            t_win0 = now;
            t_win1 = now + (uint64_t)(o_time * 1e9);
            cli_c0 = cpu_self();
            if (o_srvpid) {
                srv_c0 = cpu_proc(o_srvpid);
                if (srv_c0 < 0) fprintf(stderr, "warning: cannot read /proc/%ld/stat\n", o_srvpid);
            }
        }
        if (phase == PH_MEASURE && (now >= t_win1 || stop_flag)) {
            t_end = now;
            cli_c1 = cpu_self();
            if (o_srvpid && srv_c0 >= 0) srv_c1 = cpu_proc(o_srvpid);
            phase = PH_DONE;
            break;
        }
        if (stop_flag) {
            fprintf(stderr, "interrupted before the measured window\n");
            if (phase == PH_SETUP) t_run = now;
            t_win0 = t_end = now;
            report();
            return 2;
        }

        /* handshake mode: (re)start free slots */
        uint64_t next_retry = 0;
        if (mode == MODE_HS && nfree) {
            long cnt = nfree;
            memcpy(restart, freelist, (size_t)cnt * sizeof *freelist);
            nfree = 0;
            for (long i = 0; i < cnt; i++) {
                conn_t *c = &conns[restart[i]];
                if (c->retry_at <= now) {
                    c->queued = 0;
                    begin_connect(c); /* a failure re-queues it with a retry time */
                } else {
                    freelist[nfree++] = restart[i];
                }
            }
            for (long i = 0; i < nfree; i++) {
                uint64_t r = conns[freelist[i]].retry_at;
                if (!next_retry || r < next_retry) next_retry = r;
            }
        }

        if (now - last_scan >= 100 * 1000000ULL) {
            last_scan = now;
            for (long i = 0; i < nconns; i++) {
                conn_t *c = &conns[i];
                if ((c->st == ST_CONNECTING || c->st == ST_TLS || c->st == ST_UPGRADE) && now > c->deadline)
                    setup_failed(c, "timeout");
            }
        }
        if (phase >= PH_WARMUP && !o_quiet && now - last_progress >= NS) {
            if (last_progress) {
                double dt = (double)(now - last_progress) / 1e9;
                fprintf(stderr, "  t=%5.1fs %s %8.0f %s/s  failed=%ld closed=%ld\n", (double)(now - t_run) / 1e9,
                        phase == PH_MEASURE ? "measure" : "warm-up", (double)(total_done - progress_last_n) / dt,
                        mode == MODE_ECHO ? "msg" : "hs", failed, closed);
            }
            last_progress = now;
            progress_last_n = total_done;
        }

        /* wait */
        uint64_t wake = now + 100 * 1000000ULL;
        if (phase == PH_WARMUP && t_win0 < wake) wake = t_win0;
        if (phase == PH_MEASURE && t_win1 < wake) wake = t_win1;
        if (next_retry && next_retry < wake) wake = next_retry;
        int tmo = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
        int n = epoll_wait(epfd, evs, (int)(sizeof evs / sizeof evs[0]), tmo);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            uint64_t d = evs[i].data.u64;
            conn_t *c = &conns[(uint32_t)d];
            if (c->gen != (uint32_t)(d >> 32) || c->st == ST_FREE || c->st == ST_DEAD) continue;
            on_event(c, evs[i].events);
        }
    }
    int rc = report();
    /* after measuring: say goodbye politely (close frame + close_notify), no waiting */
    for (long i = 0; i < nconns; i++) {
        conn_t *c = &conns[i];
        if (c->st == ST_OPEN) {
            static const unsigned char code[2] = {0x03, 0xe8}; /* 1000 */
            c->wlen = 0;
            if (put_frame(c, 8, code, 2) == 0) SSL_write(c->ssl, c->wbuf, (int)c->wlen);
        }
        if (c->st != ST_FREE && c->st != ST_DEAD) release(c, c->st >= ST_UPGRADE);
    }
    SSL_CTX_free(ctx);
    return rc;
}
