/*
 * MC146818 RTC and CMOS RAM at 0x70 (index, bit 7 = NMI mask) / 0x71
 * (data); its interrupt output drives @irq (ISA IRQ8).
 */
#ifndef HW_RTC_MC146818RTC_H
#define HW_RTC_MC146818RTC_H

#include "exec/memory.h"
#include "hw/irq.h"

typedef struct RTCState RTCState;

RTCState *mc146818_rtc_init(MemoryRegion *io, qemu_irq irq);
void mc146818_rtc_destroy(RTCState *s);
void mc146818_rtc_reset(RTCState *s);
/* CMOS bytes the firmware would fill in (memory sizes, equipment). */
void rtc_set_memory(RTCState *s, int addr, uint8_t val);

#endif
