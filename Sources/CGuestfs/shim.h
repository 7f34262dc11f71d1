#ifndef V2V_CGUESTFS_SHIM_H
#define V2V_CGUESTFS_SHIM_H
#include <stdint.h>
#include <stdlib.h>
#include <guestfs.h>

/* Swift cannot import UINT64_C(...) macros; re-export the optarg bitmasks v2v sets. */
static inline uint64_t v2v_add_drive_readonly_bit(void) { return GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK; }
static inline uint64_t v2v_add_drive_format_bit(void) { return GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK; }
static inline uint64_t v2v_add_drive_name_bit(void) { return GUESTFS_ADD_DRIVE_OPTS_NAME_BITMASK; }
static inline uint64_t v2v_add_drive_cachemode_bit(void) { return GUESTFS_ADD_DRIVE_OPTS_CACHEMODE_BITMASK; }
static inline uint64_t v2v_add_drive_discard_bit(void) { return GUESTFS_ADD_DRIVE_OPTS_DISCARD_BITMASK; }

#endif
