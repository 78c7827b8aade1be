#ifndef RALLY_CEPOLL_H
#define RALLY_CEPOLL_H

// Glibc's Swift module does not export these headers; the reactor reaches them here.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sched.h>
#include <pthread.h>

/// accept4(2) needs _GNU_SOURCE, which the Swift importer does not define.
int cepoll_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// Number of CPUs this process may run on (sched_getaffinity), at least 1.
int cepoll_available_cpus(void);

/// Blocks SIGINT, SIGTERM, SIGHUP and SIGPIPE's default action for the calling thread and its
/// future children (so that they arrive through a signalfd), and ignores SIGPIPE.
int cepoll_block_signals(sigset_t *set);

/// Enables TCP_NODELAY on a socket.
int cepoll_set_nodelay(int fd);

/// SO_REUSEADDR and SO_REUSEPORT on a listening socket.
int cepoll_set_reuseport(int fd);

/// Starts a detached-later thread running `body(arg)`. A plain C entry point: Swift closures
/// literal in main.swift die with SIGILL when called on a new thread.
int cepoll_thread_start(pthread_t *thread, void *(*body)(void *), void *arg);

#endif
