/*
 * Reading and writing guest memory the way the CPU sees it, for debuggers
 * (the monitor's x, a gdb stub): linear addresses through the guest's page
 * tables as they are now (SDM vol.3 4.3-4.5), without touching accessed
 * or dirty bits and without faults.  Call with the vCPU paused (env
 * current) and the BQL held.
 */
#ifndef EXEC_CPU_DEBUG_H
#define EXEC_CPU_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec/cpu.h"

/* The physical address of linear @addr, false when it is not mapped. */
bool x86_cpu_get_phys_addr_debug(CPUState *cpu, uint64_t addr, uint64_t *paddr);
/* Copies @len bytes at linear @addr; 0 or -1 when a page is not mapped
 * or nothing answers at its physical address. */
int cpu_memory_rw_debug(CPUState *cpu, uint64_t addr, void *buf, size_t len, bool is_write);
/* The code address as the CPU fetches it: CS base + EIP (QEMU's $pc). */
uint64_t x86_cpu_pc_linear(const CPUState *cpu);
/* 16, 32 or 64: the operand size of the code the vCPU runs now. */
int x86_cpu_code_bits(const CPUState *cpu);

#endif
