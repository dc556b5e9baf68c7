/*
 * The host side of the x87 instructions (x87-host.h): one function per
 * instruction, all the same FLDENV / FLD / op / FNSAVE sequence.
 */
#include <string.h>

#include "x87-host.h"

/* 32-bit protected-mode FNSAVE image (SDM vol.1 8.1.10, figure 8-10) */
typedef struct FsaveImage {
    uint32_t fcw, fsw, ftw, fip, fcs_fop, fdp, fds;
    uint8_t st[8][10];
} __attribute__((packed)) FsaveImage;

static void x87_host_unpack(HostX87 *h, const FsaveImage *img)
{
    h->out_sw = img->fsw;
    h->depth = 0;
    for (int r = 0; r < 8; r++) {
        if (((img->ftw >> (2 * r)) & 3) != 3) {
            h->depth++;
        }
    }
    memcpy(h->out, img->st, sizeof(h->out));
}

#define X87_HOST_DEF(name, insn)                                                \
void x87h_##name(HostX87 *h)                                                    \
{                                                                               \
    uint32_t env[7] = { h->cw, h->sw & 0x4700, 0xffff };                        \
    FsaveImage img;                                                             \
    uint16_t save;                                                              \
    bool zf, pf, cf;                                                            \
    __asm__ volatile("fnstcw %[save]\n\tfldenv %[env]\n\t"                      \
                     "fldt %[b]\n\tfldt %[a]\n\t" insn "\n\t"                   \
                     "fnsave %[img]\n\tfldcw %[save]"                           \
                     : [img] "=m"(img), [save] "=m"(save), [mem] "+m"(h->mem),  \
                       "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf)                    \
                     : [env] "m"(env), [a] "m"(h->in0), [b] "m"(h->in1));      \
    h->zf = zf;                                                                 \
    h->pf = pf;                                                                 \
    h->cf = cf;                                                                 \
    x87_host_unpack(h, &img);                                                   \
}
X87_HOST_OPS(X87_HOST_DEF)
