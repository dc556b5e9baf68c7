/*
 * Timers (util/qemu-timer.c), run by the main loop with the BQL held.
 * QEMU_CLOCK_VIRTUAL is the guest's clock: host monotonic time while the
 * machine runs (no icount); QEMU_CLOCK_REALTIME/HOST are host clocks.
 */
#ifndef QEMU_TIMER_H
#define QEMU_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define NANOSECONDS_PER_SECOND 1000000000LL

typedef enum {
    QEMU_CLOCK_REALTIME,
    QEMU_CLOCK_VIRTUAL,
    QEMU_CLOCK_HOST,
} QEMUClockType;

typedef struct QEMUTimer QEMUTimer;
typedef void QEMUTimerCB(void *opaque);

int64_t qemu_clock_get_ns(QEMUClockType type);
/* A timer in the main AioContext. */
QEMUTimer *timer_new_ns(QEMUClockType type, QEMUTimerCB *cb, void *opaque);
/* Fires once at expire_time (ns on the timer's clock); re-arm to repeat. */
void timer_mod(QEMUTimer *ts, int64_t expire_time);
void timer_del(QEMUTimer *ts);
void timer_free(QEMUTimer *ts);
bool timer_pending(QEMUTimer *ts);
int64_t timer_expire_time_ns(QEMUTimer *ts);

#endif
