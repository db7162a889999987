/*
 * inspect/serve.h: the inspector process (intaked-inspect).
 *
 * Runs in a process of its own, started by the front (front/inspproc.c)
 * as `intaked -I USER:UID:GID` with its end of a SOCK_SEQPACKET socketpair
 * on INSPECT_SOCK_FD. It reads no configuration: each MSG_INSPECT brings
 * the read-only file, the policy's limits and the kind. It drops to the
 * user (when started as root), caps its resources, loads libmagic, and
 * then runs under sandbox_inspector_process (kill as default) for the rest
 * of its life, answering each request with verdict_send. Anything but a
 * well-formed MSG_INSPECT, or the front closing its end, ends it.
 *
 * It trusts the front (its parent) and nothing of the file.
 */
#ifndef INTAKE_SERVE_H
#define INTAKE_SERVE_H

#define INSPECT_SOCK_FD 3            /* the inspector's end of its socketpair */
#define INSPECT_COMM    "intaked-inspect"

/* Serves requests on INSPECT_SOCK_FD as USERSPEC ("name:uid:gid"); never
 * returns (exit status 0 when the front closed the socket, 1 otherwise). */
void inspect_serve(const char *userspec) __attribute__((noreturn));

#endif
