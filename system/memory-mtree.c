/*
 * "info mtree": the region tree of each address space, or with flatview
 * the ranges it renders to, in the shape of QEMU's monitor output:
 *
 *   address-space: memory
 *     0000000000000000-ffffffffffffffff (prio 0, i/o): system
 *       0000000000000000-000000000009ffff (prio 0, ram): pc.ram
 */
#include <inttypes.h>

#include "memory-internal.h"

typedef unsigned __int128 UInt128;

static const char *mtree_region_type(MemoryRegion *mr, bool readonly)
{
    while (mr->kind == MR_ALIAS) {
        readonly |= mr->readonly;
        mr = mr->alias;
    }
    if (mr->kind == MR_RAM) {
        return readonly || mr->readonly ? "rom" : "ram";
    }
    return "i/o";
}

/* Inclusive end, as QEMU prints it; an empty region shows end = start - 1. */
static uint64_t mtree_end(UInt128 start, uint64_t size)
{
    UInt128 len = size == UINT64_MAX ? (UInt128)1 << 64 : size;
    UInt128 end = start + len - 1;
    return end > UINT64_MAX ? UINT64_MAX : (uint64_t)end;
}

/* Subregions by address, keeping priority order among equal addresses. */
static gint mtree_compare_addr(gconstpointer a, gconstpointer b)
{
    const MemoryRegion *x = *(MemoryRegion *const *)a;
    const MemoryRegion *y = *(MemoryRegion *const *)b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void mtree_print_mr(FILE *out, MemoryRegion *mr, unsigned level, UInt128 base,
                           GPtrArray *alias_targets)
{
    UInt128 start = base + mr->addr;

    fprintf(out, "%*s%016" PRIx64 "-%016" PRIx64 " (prio %d, %s): ", (int)(level * 2), "",
            (uint64_t)start, mtree_end(start, mr->size), mr->priority,
            mtree_region_type(mr, false));
    if (mr->kind == MR_ALIAS) {
        fprintf(out, "alias %s @%s %016" PRIx64 "-%016" PRIx64, mr->name, mr->alias->name,
                mr->alias_offset, mtree_end(mr->alias_offset, mr->size));
        if (!g_ptr_array_find(alias_targets, mr->alias, NULL)) {
            g_ptr_array_add(alias_targets, mr->alias);
        }
    } else {
        fputs(mr->name, out);
    }
    fputs(mr->enabled ? "\n" : " [disabled]\n", out);

    /* g_ptr_array_sort is not stable; a copy sorted with insertion sort is. */
    g_autoptr(GPtrArray) subs = g_ptr_array_copy(mr->subregions, NULL, NULL);
    for (unsigned i = 1; i < subs->len; i++) {
        for (unsigned j = i; j > 0 && mtree_compare_addr(&subs->pdata[j - 1],
                                                         &subs->pdata[j]) > 0; j--) {
            gpointer tmp = subs->pdata[j];
            subs->pdata[j] = subs->pdata[j - 1];
            subs->pdata[j - 1] = tmp;
        }
    }
    for (unsigned i = 0; i < subs->len; i++) {
        mtree_print_mr(out, g_ptr_array_index(subs, i), level + 1, start, alias_targets);
    }
}

static void mtree_print_flatview(FILE *out, unsigned index, AddressSpace *as)
{
    FlatView *fv = as->current_map;

    fprintf(out, "FlatView #%u\n AS \"%s\", root: %s\n Root memory region: %s\n", index,
            as->name, as->root->name, fv->root->name);
    if (fv->nr == 0) {
        fputs("  No rendered FlatView\n\n", out);
        return;
    }
    for (unsigned i = 0; i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];
        fprintf(out, "  %016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s", fr->addr,
                fr->addr + fr->size - 1, fr->mr->priority,
                mtree_region_type(fr->mr, fr->readonly), fr->mr->name);
        if (fr->offset_in_region) {
            fprintf(out, " @%016" PRIx64, fr->offset_in_region);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
}

void mtree_info(FILE *out, bool flatview)
{
    GPtrArray *spaces = memory_address_spaces();

    if (flatview) {
        for (unsigned i = 0; i < spaces->len; i++) {
            mtree_print_flatview(out, i, g_ptr_array_index(spaces, i));
        }
        return;
    }

    g_autoptr(GPtrArray) alias_targets = g_ptr_array_new();
    g_autoptr(GPtrArray) printed = g_ptr_array_new();
    for (unsigned i = 0; i < spaces->len; i++) {
        AddressSpace *as = g_ptr_array_index(spaces, i);
        fprintf(out, "address-space: %s\n", as->name);
        /* The root is shown at 0, where it renders, whatever its addr. */
        mtree_print_mr(out, as->root, 1, -(UInt128)as->root->addr, alias_targets);
        g_ptr_array_add(printed, as->root);
        fputc('\n', out);
    }
    /* Alias targets that no address space shows directly, like QEMU does. */
    for (unsigned i = 0; i < alias_targets->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(alias_targets, i);
        if (mr->container || g_ptr_array_find(printed, mr, NULL)) {
            continue;
        }
        g_ptr_array_add(printed, mr);
        fprintf(out, "memory-region: %s\n", mr->name);
        mtree_print_mr(out, mr, 1, -(UInt128)mr->addr, alias_targets);
        fputc('\n', out);
    }
}
