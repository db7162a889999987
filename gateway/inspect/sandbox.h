/*
 * inspect/sandbox.h: seccomp confinement of an inspector worker thread
 * (see sandbox.c). 0, or -1 with a reason in ERR: the caller must stop.
 */
#ifndef INTAKE_SANDBOX_H
#define INTAKE_SANDBOX_H

#include <stddef.h>

int sandbox_inspector(char *err, size_t errlen);

#endif
