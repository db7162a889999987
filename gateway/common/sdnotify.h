/*
 * common/sdnotify.h: tells systemd how the daemon is doing (Type=notify).
 *
 * Runs in the parent only. Speaks the plain NOTIFY_SOCKET protocol (one
 * datagram "READY=1" etc. to the AF_UNIX socket named by $NOTIFY_SOCKET,
 * abstract when it starts with '@'), so no libsystemd is needed. Without
 * $NOTIFY_SOCKET (not under systemd, or in tests) every call does nothing.
 * Nothing confidential is ever sent: states and a status line.
 *
 * API: sdnotify (one message), and the states the daemon sends:
 *   READY=1 once every listener is open and start-up recovery is done,
 *   RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 when draining.
 */
#ifndef INTAKE_SDNOTIFY_H
#define INTAKE_SDNOTIFY_H

/* Sends STATE (e.g. "READY=1\nSTATUS=serving") to $NOTIFY_SOCKET. 0 when
 * sent or when there is no socket to send to; -1 with errno when the
 * socket is named but the message could not be sent (the caller logs it:
 * systemd will then time the start out, which is the right outcome). */
int sdnotify(const char *state);

#endif
