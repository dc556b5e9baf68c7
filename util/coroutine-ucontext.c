/*
 * Coroutine back end: makecontext starts a coroutine on its own stack once,
 * and every later switch is a _setjmp/_longjmp pair, which (unlike
 * swapcontext) costs no sigprocmask system call.
 *
 * Stacks are 1 MiB mmap'd regions with a PROT_NONE guard page at the low
 * end, so an overflow faults instead of silently corrupting the heap.
 *
 * Under AddressSanitizer every switch is announced with
 * __sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber, or ASan
 * would take the coroutine stack for a wild stack pointer.
 */
#include <assert.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "coroutine-int.h"

#if defined(__SANITIZE_ADDRESS__)
#define DUET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DUET_ASAN 1
#endif
#endif
#ifdef DUET_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define COROUTINE_STACK_SIZE (1 << 20)

typedef struct CoroutineUContext {
    Coroutine base;
    void *mapping;       /* guard page + stack; NULL for a thread's leader */
    size_t mapping_size;
    sigjmp_buf env;
    /* ASan's view of this stack (learnt on the first switch for leaders) */
    const void *stack_bottom;
    size_t stack_size;
    void *fake_stack_save;
} CoroutineUContext;

/* Used only to carry the creator's context into the trampoline. */
typedef struct {
    CoroutineUContext *co;
    sigjmp_buf *creator_env;
} TrampolineArgs;

static __thread CoroutineUContext leader;
static __thread Coroutine *current;
#ifdef DUET_ASAN
static __thread CoroutineUContext *asan_switch_from;
#endif
static __thread TrampolineArgs *trampoline_args;

/*
 * A coroutine that yields on one thread may be re-entered on another (a
 * vCPU thread starts a request, the main loop completes it).  Thread-local
 * variables are therefore read through out-of-line functions, so that no
 * TLS address computed before a switch is reused after it.
 */
static __attribute__((noinline)) Coroutine *get_current(void)
{
    __asm__ volatile("" ::: "memory");
    return current;
}

static __attribute__((noinline)) void set_current(Coroutine *co)
{
    __asm__ volatile("" ::: "memory");
    current = co;
}

static __attribute__((noinline)) CoroutineUContext *get_leader(void)
{
    __asm__ volatile("" ::: "memory");
    return &leader;
}

#ifdef DUET_ASAN
static __attribute__((noinline)) CoroutineUContext **get_asan_switch_from(void)
{
    __asm__ volatile("" ::: "memory");
    return &asan_switch_from;
}
#endif

static __attribute__((noinline)) TrampolineArgs **get_trampoline_args(void)
{
    __asm__ volatile("" ::: "memory");
    return &trampoline_args;
}

static inline void asan_start_switch(CoroutineUContext *from, CoroutineUContext *to,
                                     bool from_terminates)
{
#ifdef DUET_ASAN
    *get_asan_switch_from() = from;
    if (from_terminates) {
        /* ASan drops the finished entry's fake frames; a pooled coroutine
         * starts its next entry with none. */
        from->fake_stack_save = NULL;
    }
    __sanitizer_start_switch_fiber(from_terminates ? NULL : &from->fake_stack_save,
                                   to->stack_bottom, to->stack_size);
#else
    (void)from, (void)to, (void)from_terminates;
#endif
}

/*
 * Called on arrival in self; records the bounds of the stack we left.  No
 * address-taken locals here: a pooled coroutine resumes this frame after
 * ASan discarded the fake frames of its previous entry.
 */
static inline void asan_finish_switch(CoroutineUContext *self)
{
#ifdef DUET_ASAN
    static __thread CoroutineUContext scratch;
    CoroutineUContext *from = *get_asan_switch_from();
    if (!from) {
        from = &scratch;
    }
    __sanitizer_finish_switch_fiber(self->fake_stack_save, &from->stack_bottom,
                                    &from->stack_size);
#else
    (void)self;
#endif
}

static void coroutine_trampoline(void)
{
    TrampolineArgs *args = *get_trampoline_args();
    CoroutineUContext *self = args->co;
    sigjmp_buf *creator_env = args->creator_env;

#ifdef DUET_ASAN
    CoroutineUContext creator = { 0 };
    *get_asan_switch_from() = &creator;
    asan_finish_switch(self);
#endif
    /* Remember where entries start, then hand control back to the creator. */
    if (!sigsetjmp(self->env, 0)) {
#ifdef DUET_ASAN
        asan_start_switch(self, &creator, false);
#endif
        siglongjmp(*creator_env, 1);
    }
    /* The first entry arrives here; later ones (of a pooled coroutine)
     * return from the TERMINATE switch below, which did its own finish. */
    asan_finish_switch(self);
    for (;;) {
        Coroutine *co = &self->base;
        co->entry(co->entry_arg);
        qemu_coroutine_switch(co, co->caller, COROUTINE_TERMINATE);
    }
}

Coroutine *qemu_coroutine_new(void)
{
    size_t page = sysconf(_SC_PAGESIZE);
    CoroutineUContext *co = g_new0(CoroutineUContext, 1);
    ucontext_t uc;
    sigjmp_buf creator_env;
    TrampolineArgs args = { co, &creator_env };

    co->mapping_size = COROUTINE_STACK_SIZE + page;
    co->mapping = mmap(NULL, co->mapping_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (co->mapping == MAP_FAILED) {
        /* Out of address space: nothing sensible can continue. */
        g_error("coroutine stack allocation failed");
    }
    if (mprotect(co->mapping, page, PROT_NONE) != 0) {
        g_error("coroutine guard page: mprotect failed");
    }
    co->stack_bottom = (char *)co->mapping + page;
    co->stack_size = COROUTINE_STACK_SIZE;

    if (getcontext(&uc) != 0) {
        g_error("getcontext failed");
    }
    uc.uc_link = NULL;
    uc.uc_stack.ss_sp = (void *)co->stack_bottom;
    uc.uc_stack.ss_size = co->stack_size;
    uc.uc_stack.ss_flags = 0;
    makecontext(&uc, coroutine_trampoline, 0);

    *get_trampoline_args() = &args;
    if (!sigsetjmp(creator_env, 0)) {
        CoroutineUContext *self = (CoroutineUContext *)qemu_coroutine_self();
        asan_start_switch(self, co, false);
        setcontext(&uc);
    }
    asan_finish_switch((CoroutineUContext *)qemu_coroutine_self());
    return &co->base;
}

void qemu_coroutine_delete(Coroutine *co_)
{
    CoroutineUContext *co = (CoroutineUContext *)co_;
    munmap(co->mapping, co->mapping_size);
    g_free(co);
}

CoroutineAction qemu_coroutine_switch(Coroutine *from_, Coroutine *to_,
                                      CoroutineAction action)
{
    CoroutineUContext *from = (CoroutineUContext *)from_;
    CoroutineUContext *to = (CoroutineUContext *)to_;
    int ret;

    set_current(to_);
    ret = sigsetjmp(from->env, 0);
    if (ret == 0) {
        asan_start_switch(from, to, action == COROUTINE_TERMINATE);
        siglongjmp(to->env, action);
    }
    asan_finish_switch(from);
    return ret;
}

Coroutine *qemu_coroutine_self(void)
{
    Coroutine *co = get_current();
    return co ? co : &get_leader()->base;
}

bool qemu_in_coroutine(void)
{
    Coroutine *co = get_current();
    return co && co != &get_leader()->base;
}
