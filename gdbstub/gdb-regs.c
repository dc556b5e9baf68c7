/*
 * The x86 registers as gdb numbers them.  The description follows the
 * GDB manual's "i386 Features" (G.5.3): org.gnu.gdb.i386.core (general
 * registers, eflags, segment selectors, x87 ST0-7 and control registers),
 * org.gnu.gdb.i386.sse (xmm, mxcsr), org.gnu.gdb.i386.segments (fs_base,
 * gs_base, 64-bit only), and duet's own org.duet.gdb.i386.sys (control
 * registers and EFER).  A register's number is its place in the XML.
 */
#include <string.h>

#include "gdb-internal.h"

typedef enum { K_GPR, K_EIP, K_EFLAGS, K_SEG, K_SEGBASE, K_ST, K_FPC, K_XMM, K_MXCSR,
               K_CR, K_EFER } RegKind;

typedef struct GdbReg {
    const char *name;
    RegKind kind;
    int index;
    int bits;
    const char *type;
} GdbReg;

/* gdb's amd64 order is rax rbx rcx rdx rsi rdi rbp rsp, r8-r15 */
static const int amd64_gpr[16] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP,
                                   8, 9, 10, 11, 12, 13, 14, 15 };
static const char *const gpr32_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi",
                                            "edi" };
static const char *const gpr64_names[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
                                             "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
                                             "r14", "r15" };
static const char *const seg_names[6] = { "cs", "ss", "ds", "es", "fs", "gs" };
static const int seg_index[6] = { R_CS, R_SS, R_DS, R_ES, R_FS, R_GS };
static const char *const fpc_names[8] = { "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg",
                                          "fooff", "fop" };
static const char *const st_names[8] = { "st0", "st1", "st2", "st3", "st4", "st5", "st6",
                                         "st7" };
static const char *const xmm_names[16] = { "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
                                           "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
                                           "xmm12", "xmm13", "xmm14", "xmm15" };
static const char *const cr_names[5] = { "cr0", NULL, "cr2", "cr3", "cr4" };

typedef struct GdbLayout {
    GdbReg regs[96];
    int n;
    char *xml;
} GdbLayout;

static GdbLayout layouts[2];

static void add(GdbLayout *l, GString *xml, const char *name, RegKind kind, int index,
                int bits, const char *type)
{
    l->regs[l->n++] = (GdbReg){ name, kind, index, bits, type };
    g_string_append_printf(xml, "  <reg name=\"%s\" bitsize=\"%d\" type=\"%s\"/>\n", name,
                           bits, type);
}

static void build_layout(GdbLayout *l, bool x86_64)
{
    GString *x = g_string_new("<?xml version=\"1.0\"?>\n"
                              "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n");
    int w = x86_64 ? 64 : 32;

    g_string_append_printf(x, "<architecture>%s</architecture>\n",
                           x86_64 ? "i386:x86-64" : "i386");
    g_string_append(x, "<feature name=\"org.gnu.gdb.i386.core\">\n");
    for (int i = 0; i < (x86_64 ? 16 : 8); i++) {
        add(l, x, x86_64 ? gpr64_names[i] : gpr32_names[i], K_GPR, x86_64 ? amd64_gpr[i] : i, w,
            (x86_64 ? (i == 6 || i == 7) : (i == 4 || i == 5)) ? "data_ptr"
                                                                 : (x86_64 ? "int64" : "int32"));
    }
    add(l, x, x86_64 ? "rip" : "eip", K_EIP, 0, w, "code_ptr");
    add(l, x, "eflags", K_EFLAGS, 0, 32, "int32");
    for (int i = 0; i < 6; i++) {
        add(l, x, seg_names[i], K_SEG, seg_index[i], 32, "int32");
    }
    for (int i = 0; i < 8; i++) {
        add(l, x, st_names[i], K_ST, i, 80, "i387_ext");
    }
    for (int i = 0; i < 8; i++) {
        add(l, x, fpc_names[i], K_FPC, i, 32, "int");
    }
    g_string_append(x, "</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n");
    for (int i = 0; i < (x86_64 ? 16 : 8); i++) {
        add(l, x, xmm_names[i], K_XMM, i, 128, "uint128");
    }
    add(l, x, "mxcsr", K_MXCSR, 0, 32, "int");
    g_string_append(x, "</feature>\n");
    if (x86_64) {
        g_string_append(x, "<feature name=\"org.gnu.gdb.i386.segments\">\n");
        add(l, x, "fs_base", K_SEGBASE, R_FS, 64, "int");
        add(l, x, "gs_base", K_SEGBASE, R_GS, 64, "int");
        g_string_append(x, "</feature>\n");
    }
    g_string_append(x, "<feature name=\"org.duet.gdb.i386.sys\">\n");
    if (!x86_64) {
        add(l, x, "fs_base", K_SEGBASE, R_FS, 32, "int");
        add(l, x, "gs_base", K_SEGBASE, R_GS, 32, "int");
    }
    for (int i = 0; i < 5; i++) {
        if (cr_names[i]) {
            add(l, x, cr_names[i], K_CR, i, w, "int");
        }
    }
    add(l, x, "efer", K_EFER, 0, w, "int");
    g_string_append(x, "</feature>\n</target>\n");
    l->xml = g_string_free(x, false);
}

static GdbLayout *layout(bool x86_64)
{
    GdbLayout *l = &layouts[x86_64];

    if (!l->xml) {
        build_layout(l, x86_64);
    }
    return l;
}

const char *gdb_target_xml(bool x86_64)
{
    return layout(x86_64)->xml;
}

int gdb_num_regs(bool x86_64)
{
    return layout(x86_64)->n;
}

/* The full tag word from FXSAVE's abridged one (SDM vol.1 10.5.1.1):
 * 00 valid, 01 zero, 10 special, 11 empty, per physical register. */
static uint16_t full_tag_word(const X86FPUState *fpu)
{
    uint16_t tw = 0;

    for (int i = 0; i < 8; i++) {
        const X86FPReg *r = &fpu->st[i];
        int exp = r->sign_exp & 0x7fff, tag;

        if (!(fpu->ftw & (1 << i))) {
            tag = 3;
        } else if (exp == 0x7fff || (exp && !(r->mant >> 63)) || (!exp && r->mant)) {
            tag = 2;
        } else {
            tag = !exp && !r->mant ? 1 : 0;
        }
        tw |= tag << (2 * i);
    }
    return tw;
}

static uint64_t fpc_value(const X86FPUState *fpu, int i)
{
    switch (i) {
    case 0: return fpu->fcw;
    case 1: return fpu->fsw;
    case 2: return full_tag_word(fpu);
    case 3: return fpu->fcs;
    case 4: return (uint32_t)fpu->fip;
    case 5: return fpu->fds;
    case 6: return (uint32_t)fpu->fdp;
    default: return fpu->fop;
    }
}

int gdb_read_register(CPUX86State *env, bool x86_64, int n, GByteArray *out)
{
    GdbLayout *l = layout(x86_64);
    uint8_t b[16] = { 0 };
    uint64_t v = 0;

    if (n < 0 || n >= l->n) {
        return 0;
    }
    const GdbReg *r = &l->regs[n];
    int bytes = r->bits / 8;

    switch (r->kind) {
    case K_GPR: v = env->regs[r->index]; break;
    case K_EIP: v = env->eip; break;
    case K_EFLAGS: v = env->eflags; break;
    case K_SEG: v = env->segs[r->index].selector; break;
    case K_SEGBASE: v = env->segs[r->index].base; break;
    case K_FPC: v = fpc_value(&env->fpu, r->index); break;
    case K_MXCSR: v = env->fpu.mxcsr; break;
    case K_CR: v = env->cr[r->index]; break;
    case K_EFER: v = env->efer; break;
    case K_ST: {
        /* gdb's stN is ST(N): physical register (TOP + N) & 7 */
        int top = (env->fpu.fsw >> 11) & 7;
        const X86FPReg *st = &env->fpu.st[(top + r->index) & 7];
        memcpy(b, &st->mant, 8);
        memcpy(b + 8, &st->sign_exp, 2);
        g_byte_array_append(out, b, 10);
        return 10;
    }
    case K_XMM:
        g_byte_array_append(out, env->fpu.xmm[r->index].b, 16);
        return 16;
    }
    memcpy(b, &v, 8); /* little-endian host, as the target */
    g_byte_array_append(out, b, bytes);
    return bytes;
}

static void set_low(uint64_t *p, uint64_t v, int bytes)
{
    *p = bytes >= 8 ? v : (uint32_t)v;
}

bool gdb_write_register(CPUX86State *env, bool x86_64, int n, const uint8_t *buf, int len)
{
    GdbLayout *l = layout(x86_64);
    uint64_t v = 0;

    if (n < 0 || n >= l->n || len != l->regs[n].bits / 8) {
        return false;
    }
    const GdbReg *r = &l->regs[n];
    memcpy(&v, buf, MIN(len, 8));
    switch (r->kind) {
    case K_GPR: set_low(&env->regs[r->index], v, len); break;
    case K_EIP: set_low(&env->eip, v, len); break;
    case K_EFLAGS: env->eflags = (v & 0x3f7fd5) | 2; break; /* reserved bits fixed */
    case K_SEG:
        /* The selector only: the descriptor cache stays (as a debugger
         * poke, not a segment load). */
        env->segs[r->index].selector = v & 0xffff;
        break;
    case K_SEGBASE: env->segs[r->index].base = v; break;
    case K_FPC:
        switch (r->index) {
        case 0: env->fpu.fcw = v; break;
        case 1: env->fpu.fsw = v; break;
        case 2: {
            uint8_t ftw = 0;
            for (int i = 0; i < 8; i++) {
                ftw |= (((v >> (2 * i)) & 3) != 3) << i;
            }
            env->fpu.ftw = ftw;
            break;
        }
        case 3: env->fpu.fcs = v; break;
        case 4: env->fpu.fip = (uint32_t)v; break;
        case 5: env->fpu.fds = v; break;
        case 6: env->fpu.fdp = (uint32_t)v; break;
        default: env->fpu.fop = v & 0x7ff; break;
        }
        break;
    case K_MXCSR: env->fpu.mxcsr = v; break;
    case K_CR: set_low(&env->cr[r->index], v, len); break;
    case K_EFER: env->efer = v; break;
    case K_ST: {
        int top = (env->fpu.fsw >> 11) & 7;
        X86FPReg *st = &env->fpu.st[(top + r->index) & 7];
        memcpy(&st->mant, buf, 8);
        memcpy(&st->sign_exp, buf + 8, 2);
        break;
    }
    case K_XMM: memcpy(env->fpu.xmm[r->index].b, buf, 16); break;
    }
    return true;
}
