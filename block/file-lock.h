/*
 * Image locking for the file protocol, as QEMU 7.2 locks image files:
 * shared (read) OFD locks on single bytes of the image file, byte
 * 100 + i while a user holds permission bit i, byte 200 + i while it does
 * not let others have it.  Taking permission i is refused while anyone
 * else holds byte 200 + i, not sharing it while anyone holds 100 + i.
 * OFD locks belong to the open file, so two opens in one process (the
 * same image on -hda and -hdb) conflict as two processes do.
 */
#ifndef BLOCK_FILE_LOCK_H
#define BLOCK_FILE_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "qapi/error.h"

#define FILE_LOCK_PERM_BASE   100
#define FILE_LOCK_SHARED_BASE 200

typedef struct FileLock {
    bool enabled;
    int set_cmd;           /* F_OFD_SETLK, or F_SETLK without OFD locks */
    int get_cmd;
    uint64_t held;         /* permissions whose byte 100 + i we lock */
    uint64_t unshared;     /* permissions whose byte 200 + i we lock */
    /* Between a check and its commit or abort: the checked sets, whose
     * bytes are locked as well. */
    uint64_t new_held;
    uint64_t new_unshared;
} FileLock;

/* mode: the locking= option, "on", "off" or "auto" (NULL: auto; on when
 * fd takes OFD locks). */
bool file_lock_init(FileLock *l, int fd, const char *mode, Error **errp);
/* Takes the locks for (perm, shared) beside those held and checks them
 * against everybody else's; on failure only the old ones are held.  name
 * is the image in the error ("Is another process using the image [name]?"). */
int file_lock_check(FileLock *l, int fd, uint64_t perm, uint64_t shared, const char *name,
                    Error **errp);
/* After a successful check: only the new locks stay. */
void file_lock_commit(FileLock *l, int fd);
/* After a successful check: only the old locks stay. */
void file_lock_abort(FileLock *l, int fd);
/* Drops every lock (closing). */
void file_lock_release(FileLock *l, int fd);

#endif
