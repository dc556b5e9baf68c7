/*
 * -accel tcg: duet's x86 interpreter (placeholder while the interpreter
 * lands: it halts the vCPU at once).
 */
#include "sysemu/accel-ops.h"

static bool tcg_probe(Error **errp)
{
    return true;
}

static bool tcg_init_vcpu(CPUState *cpu, Error **errp)
{
    return true;
}

static int tcg_cpu_exec(CPUState *cpu)
{
    cpu->env.halted = true;
    return EXCP_HLT;
}

static void tcg_kick_vcpu(CPUState *cpu)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_SEQ_CST);
}

const AccelOps tcg_accel_ops = {
    .name = "tcg",
    .description = "duet's x86 interpreter",
    .probe = tcg_probe,
    .init_vcpu = tcg_init_vcpu,
    .cpu_exec = tcg_cpu_exec,
    .kick_vcpu = tcg_kick_vcpu,
};
