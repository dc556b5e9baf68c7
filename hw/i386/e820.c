/*
 * E820 memory map construction (hw/i386/e820.h).
 */
#include <stdbool.h>
#include <string.h>

#include "hw/i386/e820.h"

static void e820_remove(E820Table *t, unsigned i)
{
    memmove(&t->entry[i], &t->entry[i + 1], (t->count - i - 1) * sizeof(E820Entry));
    t->count--;
}

static bool e820_insert(E820Table *t, unsigned i, E820Entry e)
{
    if (t->count == E820_MAX_ENTRIES) {
        return false;
    }
    memmove(&t->entry[i + 1], &t->entry[i], (t->count - i) * sizeof(E820Entry));
    t->entry[i] = e;
    t->count++;
    return true;
}

bool e820_add_entry(E820Table *t, uint64_t addr, uint64_t size, uint32_t type)
{
    uint64_t end = addr + size;
    unsigned i;

    if (!size) {
        return true;
    }
    /* Cut [addr, end) out of every entry, splitting one that spans it. */
    for (i = 0; i < t->count;) {
        E820Entry *e = &t->entry[i];
        uint64_t e_end = e->addr + e->size;

        if (e_end <= addr || e->addr >= end) {
            i++;
            continue;
        }
        if (e->addr < addr && e_end > end) {
            E820Entry tail = { end, e_end - end, e->type };
            e->size = addr - e->addr;
            if (!e820_insert(t, i + 1, tail)) {
                return false;
            }
            i += 2;
        } else if (e->addr < addr) {
            e->size = addr - e->addr;
            i++;
        } else if (e_end > end) {
            e->size = e_end - end;
            e->addr = end;
            i++;
        } else {
            e820_remove(t, i);
        }
    }
    for (i = 0; i < t->count && t->entry[i].addr < addr; i++) {
    }
    if (!e820_insert(t, i, (E820Entry){ addr, size, type })) {
        return false;
    }
    /* Merge with equal neighbours that touch. */
    if (i + 1 < t->count && t->entry[i + 1].type == type && t->entry[i + 1].addr == end) {
        t->entry[i].size += t->entry[i + 1].size;
        e820_remove(t, i + 1);
    }
    if (i > 0 && t->entry[i - 1].type == type &&
        t->entry[i - 1].addr + t->entry[i - 1].size == addr) {
        t->entry[i - 1].size += t->entry[i].size;
        e820_remove(t, i);
    }
    return true;
}

void e820_build_pc(E820Table *t, uint64_t below_4g, uint64_t above_4g)
{
    t->count = 0;
    e820_add_entry(t, 0, 0x9fc00, E820_RAM);
    e820_add_entry(t, 0x9fc00, 0xa0000 - 0x9fc00, E820_RESERVED);
    e820_add_entry(t, 0xf0000, 0x10000, E820_RESERVED);
    e820_add_entry(t, 0x100000, below_4g - 0x100000, E820_RAM);
    e820_add_entry(t, 0xfec00000, 0x1000, E820_RESERVED); /* IOAPIC */
    e820_add_entry(t, 0xfee00000, 0x1000, E820_RESERVED); /* local APIC */
    e820_add_entry(t, 0xfffc0000, 0x40000, E820_RESERVED); /* BIOS ROM */
    if (above_4g) {
        e820_add_entry(t, 1ull << 32, above_4g, E820_RAM);
    }
}

uint64_t e820_ram_end_below_4g(const E820Table *t)
{
    uint64_t end = 0;

    for (unsigned i = 0; i < t->count; i++) {
        const E820Entry *e = &t->entry[i];
        if (e->type == E820_RAM && e->addr < (1ull << 32)) {
            uint64_t e_end = e->addr + e->size;
            end = e_end > (1ull << 32) ? (1ull << 32) : e_end;
        }
    }
    return end;
}

bool e820_is_ram(const E820Table *t, uint64_t addr, uint64_t size)
{
    uint64_t end = addr + size;

    /* Entries are sorted and RAM neighbours merged: one entry must hold it. */
    for (unsigned i = 0; i < t->count; i++) {
        const E820Entry *e = &t->entry[i];
        if (e->type == E820_RAM && e->addr <= addr && end <= e->addr + e->size) {
            return true;
        }
    }
    return false;
}
