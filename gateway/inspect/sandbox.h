/*
 * inspect/sandbox.h: seccomp confinement of an inspector (see sandbox.c).
 * Each returns 0, or -1 with a reason in ERR: the caller must not inspect.
 *
 * sandbox_inspector_process: the calling process, kill as default, with
 * recvmsg/sendmsg allowed on SOCK only.
 */
#ifndef INTAKE_SANDBOX_H
#define INTAKE_SANDBOX_H

#include <stddef.h>

int sandbox_inspector_process(int sock, char *err, size_t errlen);

#endif
