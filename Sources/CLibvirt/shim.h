#ifndef V2V_CLIBVIRT_SHIM_H
#define V2V_CLIBVIRT_SHIM_H
#include <stddef.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/* A no-op error callback so libvirt does not print errors to stderr; we read them with virGetLastError. */
static void v2v_virt_silent_error(void *userdata, virErrorPtr err) { (void)userdata; (void)err; }
static inline void v2v_virt_silence_errors(void) { virSetErrorFunc(NULL, v2v_virt_silent_error); }

#endif
