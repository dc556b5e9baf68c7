/*
 * The initial APIC ID of each vCPU: the package/die/core/thread numbers
 * packed in fields just wide enough for the -smp topology (SDM vol.3
 * 8.9.1, the layout CPUID leaf 0BH reports), so IDs are not contiguous
 * when a count is not a power of two.
 */
#include "sysemu/machine.h"

static unsigned field_width(unsigned count)
{
    unsigned bits = 0;

    while ((1u << bits) < count) {
        bits++;
    }
    return bits;
}

uint32_t x86_topo_apicid(const CpuTopology *t, unsigned index)
{
    unsigned thread_bits = field_width(t->threads), core_bits = field_width(t->cores);
    unsigned die_bits = field_width(t->dies);
    unsigned thread = index % t->threads;
    unsigned core = index / t->threads % t->cores;
    unsigned die = index / (t->threads * t->cores) % t->dies;
    unsigned socket = index / (t->threads * t->cores * t->dies);

    return thread | core << thread_bits | die << (thread_bits + core_bits) |
           socket << (thread_bits + core_bits + die_bits);
}

void x86_topo_cpuid_fields(const CpuTopology *t, X86CPUID *c)
{
    c->nr_threads = t->threads;
    c->nr_cores = t->cores * t->dies;
    c->thread_bits = field_width(t->threads);
    c->core_bits = field_width(t->cores) + field_width(t->dies);
}
