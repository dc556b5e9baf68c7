#ifndef QEMU_COMPILER_H
#define QEMU_COMPILER_H

/*
 * A function that must stay its own, correctly named frame in gdb at any
 * optimisation level: users break on these names.  GCC's noipa also stops
 * .isra/.constprop clones, which would rename the frame; clang has no
 * such clones of this kind, and noinline is enough there.
 */
#if defined(__clang__)
#define QEMU_VISIBLE_FRAME __attribute__((noinline))
#else
#define QEMU_VISIBLE_FRAME __attribute__((noipa))
#endif

#endif
