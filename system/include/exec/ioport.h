/*
 * Port lists: a device whose registers differ in width (IDE's 16-bit data
 * port beside 8-bit task-file registers) describes them as a table and
 * gets one MemoryRegion per run of ports, each dispatching through
 * portio_read/portio_write to the entry's callback.
 */
#ifndef EXEC_IOPORT_H
#define EXEC_IOPORT_H

#include "exec/memory.h"

typedef struct MemoryRegionPortio {
    uint32_t offset; /* relative to the list's base port */
    uint32_t len;    /* number of ports */
    unsigned size;   /* access width the callbacks take: 1, 2 or 4 */
    /* Both callbacks get the absolute port number; either may be NULL. */
    uint32_t (*read)(void *opaque, uint32_t address);
    void (*write)(void *opaque, uint32_t address, uint32_t data);
} MemoryRegionPortio;

#define PORTIO_END_OF_LIST() { 0, 0, 0, NULL, NULL }

typedef struct PortioList {
    const MemoryRegionPortio *ports;
    void *opaque;
    char *name;
    MemoryRegion *address_space;
    GPtrArray *regions; /* of MemoryRegion *, owned */
} PortioList;

void portio_list_init(PortioList *piolist, const MemoryRegionPortio *callbacks, void *opaque,
                      const char *name);
void portio_list_add(PortioList *piolist, MemoryRegion *address_space, uint32_t start);
void portio_list_del(PortioList *piolist);
void portio_list_destroy(PortioList *piolist);

#endif
