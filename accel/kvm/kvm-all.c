/*
 * -accel kvm: the VM.  Opens /dev/kvm, creates the VM with QEMU's pc
 * layout (TSS and identity-map pages, in-kernel 8259/IOAPIC/8254 unless
 * kernel-irqchip=off), and keeps KVM's memory slots and coalesced I/O
 * zones in step with the memory API through two MemoryListeners.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm-internal.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "sysemu/accel.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

#define KVM_PAGE_SIZE 4096ULL

int kvm_ioctl(int fd, unsigned long request, void *arg)
{
    int ret;
    do {
        ret = ioctl(fd, request, arg);
    } while (ret < 0 && errno == EINTR);
    return ret;
}

static int kvm_check_extension(int fd, long cap)
{
    int ret = ioctl(fd, KVM_CHECK_EXTENSION, cap);
    return ret < 0 ? 0 : ret;
}

/* Capabilities duet cannot do without; the others it only uses if there. */
static const struct {
    long cap;
    const char *name;
} kvm_required_caps[] = {
    { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
    { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
};

static int kvm_open(Error **errp)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENODEV || errno == ENXIO) {
            error_setg(errp, "/dev/kvm does not exist (no KVM support on this host)");
        } else if (errno == EACCES || errno == EPERM) {
            error_setg(errp, "no permission to open /dev/kvm (add yourself to the kvm group)");
        } else {
            error_setg_errno(errp, errno, "cannot open /dev/kvm");
        }
        return -1;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version < 0) {
        error_setg_errno(errp, errno, "/dev/kvm is not a KVM device");
        close(fd);
        return -1;
    }
    if (version != KVM_API_VERSION_REQUIRED) {
        error_setg(errp, "KVM API version %d, duet needs %d", version,
                   KVM_API_VERSION_REQUIRED);
        close(fd);
        return -1;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(kvm_required_caps); i++) {
        if (!kvm_check_extension(fd, kvm_required_caps[i].cap)) {
            error_setg(errp, "this KVM lacks %s", kvm_required_caps[i].name);
            close(fd);
            return -1;
        }
    }
    return fd;
}

bool kvm_probe(Error **errp)
{
    int fd = kvm_open(errp);
    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

/* ---- memory slots ---------------------------------------------------- */

static KVMSlot *kvm_find_slot(KVMState *s, hwaddr start, uint64_t size)
{
    for (int i = 0; i < s->nr_slots; i++) {
        KVMSlot *slot = &s->slots[i];
        if (slot->size && slot->start == start && slot->size == size) {
            return slot;
        }
    }
    return NULL;
}

static KVMSlot *kvm_alloc_slot(KVMState *s)
{
    for (int i = 0; i < s->nr_slots; i++) {
        if (!s->slots[i].size) {
            return &s->slots[i];
        }
    }
    return NULL;
}

static int kvm_set_user_memory_region(KVMState *s, KVMSlot *slot, uint64_t size)
{
    struct kvm_userspace_memory_region mem = {
        .slot = slot->slot,
        .flags = slot->flags,
        .guest_phys_addr = slot->start,
        .memory_size = size,
        .userspace_addr = (uintptr_t)slot->host,
    };
    trace_event(kvm_set_user_memory, "slot=%d start=0x%llx size=0x%llx host=%p flags=0x%x",
                slot->slot, (unsigned long long)slot->start, (unsigned long long)size,
                slot->host, slot->flags);
    return kvm_ioctl(s->vmfd, KVM_SET_USER_MEMORY_REGION, &mem);
}

/*
 * KVM maps whole pages.  The page-aligned middle of a RAM section goes
 * into a slot; any unaligned edge stays unmapped for KVM and reaches RAM
 * through an MMIO exit and address_space_rw, which is slow but correct.
 */
static bool kvm_section_pages(MemoryRegionSection *section, hwaddr *start, uint64_t *size,
                              void **host)
{
    hwaddr begin = section->offset_within_address_space;
    hwaddr end = begin + section->size;
    hwaddr aligned_begin = (begin + KVM_PAGE_SIZE - 1) & ~(KVM_PAGE_SIZE - 1);
    hwaddr aligned_end = end & ~(KVM_PAGE_SIZE - 1);

    if (aligned_end <= aligned_begin) {
        return false;
    }
    *start = aligned_begin;
    *size = aligned_end - aligned_begin;
    *host = (uint8_t *)memory_region_get_ram_ptr(section->mr) +
            section->offset_within_region + (aligned_begin - begin);
    return true;
}

static void kvm_region_add(MemoryListener *listener, MemoryRegionSection *section)
{
    KVMState *s = container_of(listener, KVMState, memory_listener);
    bool readonly = section->readonly || section->mr->readonly;
    hwaddr start;
    uint64_t size;
    void *host;

    if (!memory_region_is_ram(section->mr) || !kvm_section_pages(section, &start, &size, &host)) {
        return;
    }
    if (readonly && !s->readonly_mem) {
        return; /* ROM without KVM_MEM_READONLY: every access exits to us */
    }
    KVMSlot *slot = kvm_alloc_slot(s);
    if (!slot) {
        warn_report("kvm: out of memory slots; %s at 0x%llx runs through MMIO exits",
                    memory_region_name(section->mr), (unsigned long long)start);
        return;
    }
    slot->start = start;
    slot->host = host;
    slot->flags = readonly ? KVM_MEM_READONLY : 0;
    if (kvm_set_user_memory_region(s, slot, size) < 0) {
        warn_report("kvm: KVM_SET_USER_MEMORY_REGION %s at 0x%llx: %s",
                    memory_region_name(section->mr), (unsigned long long)start,
                    strerror(errno));
        return;
    }
    slot->size = size;
}

static void kvm_region_del(MemoryListener *listener, MemoryRegionSection *section)
{
    KVMState *s = container_of(listener, KVMState, memory_listener);
    hwaddr start;
    uint64_t size;
    void *host;

    if (!memory_region_is_ram(section->mr) || !kvm_section_pages(section, &start, &size, &host)) {
        return;
    }
    KVMSlot *slot = kvm_find_slot(s, start, size);
    if (!slot) {
        return;
    }
    /* Writes KVM batched for the old mapping must land before it goes. */
    kvm_flush_coalesced_mmio_buffer(s);
    if (kvm_set_user_memory_region(s, slot, 0) < 0) {
        warn_report("kvm: removing slot %d: %s", slot->slot, strerror(errno));
    }
    slot->size = 0;
}

/* ---- coalesced I/O ---------------------------------------------------- */

static void kvm_coalesce(KVMState *s, hwaddr addr, hwaddr len, bool pio, bool add)
{
    struct kvm_coalesced_mmio_zone zone = {
        .addr = addr,
        .size = len,
        .pio = pio,
    };
    unsigned long request = add ? KVM_REGISTER_COALESCED_MMIO : KVM_UNREGISTER_COALESCED_MMIO;

    trace_event(kvm_coalesce, "%s %s addr=0x%llx len=0x%llx", add ? "add" : "del",
                pio ? "pio" : "mmio", (unsigned long long)addr, (unsigned long long)len);
    if (kvm_ioctl(s->vmfd, request, &zone) < 0) {
        warn_report("kvm: %s coalesced %s zone 0x%llx+0x%llx: %s", add ? "adding" : "removing",
                    pio ? "PIO" : "MMIO", (unsigned long long)addr, (unsigned long long)len,
                    strerror(errno));
    }
}

/* Replays the ring before a zone goes, so no batched write is lost. */
static void kvm_coalesced_update(KVMState *s, bool usable, hwaddr addr, hwaddr len, bool pio,
                                 bool add)
{
    if (!usable) {
        return;
    }
    if (!add) {
        kvm_flush_coalesced_mmio_buffer(s);
    }
    kvm_coalesce(s, addr, len, pio, add);
}

static void kvm_coalesced_mmio_add(MemoryListener *listener, MemoryRegionSection *section,
                                   hwaddr addr, hwaddr len)
{
    KVMState *s = container_of(listener, KVMState, memory_listener);
    kvm_coalesced_update(s, s->coalesced_mmio_page, addr, len, false, true);
}

static void kvm_coalesced_mmio_del(MemoryListener *listener, MemoryRegionSection *section,
                                   hwaddr addr, hwaddr len)
{
    KVMState *s = container_of(listener, KVMState, memory_listener);
    kvm_coalesced_update(s, s->coalesced_mmio_page, addr, len, false, false);
}

static void kvm_coalesced_pio_add(MemoryListener *listener, MemoryRegionSection *section,
                                  hwaddr addr, hwaddr len)
{
    KVMState *s = container_of(listener, KVMState, io_listener);
    kvm_coalesced_update(s, s->coalesced_pio, addr, len, true, true);
}

static void kvm_coalesced_pio_del(MemoryListener *listener, MemoryRegionSection *section,
                                  hwaddr addr, hwaddr len)
{
    KVMState *s = container_of(listener, KVMState, io_listener);
    kvm_coalesced_update(s, s->coalesced_pio, addr, len, true, false);
}

/*
 * Replays the writes KVM batched in the ring shared with the vCPU.  The
 * BQL serialises the consumers; KVM is the only producer.  Called before
 * handling every exit so devices see writes in guest order.
 */
void kvm_flush_coalesced_mmio_buffer(KVMState *s)
{
    struct kvm_coalesced_mmio_ring *ring = s->coalesced_ring;
    const uint32_t max = (KVM_PAGE_SIZE - sizeof(*ring)) / sizeof(ring->coalesced_mmio[0]);

    if (!ring) {
        return;
    }
    while (__atomic_load_n(&ring->first, __ATOMIC_ACQUIRE) !=
           __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
        struct kvm_coalesced_mmio *ent = &ring->coalesced_mmio[ring->first % max];
        AddressSpace *as = ent->pio == 1 ? &address_space_io : &address_space_memory;
        uint32_t len = ent->len <= sizeof(ent->data) ? ent->len : sizeof(ent->data);

        trace_event(kvm_coalesced_replay, "%s addr=0x%llx len=%u", ent->pio ? "pio" : "mmio",
                    (unsigned long long)ent->phys_addr, len);
        address_space_write(as, ent->phys_addr, MEMTXATTRS_UNSPECIFIED, ent->data, len);
        __atomic_store_n(&ring->first, (ring->first + 1) % max, __ATOMIC_RELEASE);
    }
}

/* ---- the VM ----------------------------------------------------------- */

static const char *const kvm_irqchip_modes[] = { "on", "off", "split", NULL };

/* -accel kvm,KEY=VALUE (accel_opts_parse checks them against this). */
static const QemuOptDesc kvm_accel_opts[] = {
    { .name = "kernel-irqchip", .type = QEMU_OPT_STRING,
      .help = "Interrupt controllers and PIT in the kernel (split: as on)",
      .values = kvm_irqchip_modes, .def_value_str = "on" },
    { NULL },
};

static void kvm_parse_opts(KVMState *s, QemuOpts *opts)
{
    const char *irqchip = opts ? qemu_opt_get(opts, "kernel-irqchip") : NULL;

    s->kernel_irqchip = !irqchip || strcmp(irqchip, "off") != 0;
}

/*
 * The GSI routes the board's ACPI tables describe (as QEMU's pc sets
 * them): ISA IRQ n to 8259 input n and IOAPIC pin n, except IRQ0, which
 * reaches the IOAPIC on pin 2 (the MADT's interrupt source override);
 * GSI 2 (the cascade) has no route.  KVM's default table would send
 * IRQ0 to IOAPIC pin 0.
 */
static bool kvm_set_gsi_routing(KVMState *s, Error **errp)
{
    enum { NR_IOAPIC_PINS = 24, NR_ROUTES = 15 + 23 };
    g_autofree struct kvm_irq_routing *table =
        g_malloc0(sizeof(*table) + NR_ROUTES * sizeof(struct kvm_irq_routing_entry));
    struct kvm_irq_routing_entry *e = table->entries;

    for (int gsi = 0; gsi < 16; gsi++) {
        if (gsi != 2) {
            e->gsi = gsi;
            e->type = KVM_IRQ_ROUTING_IRQCHIP;
            e->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
            e->u.irqchip.pin = gsi & 7;
            e++;
        }
    }
    for (int gsi = 0; gsi < NR_IOAPIC_PINS; gsi++) {
        if (gsi != 2) {
            e->gsi = gsi;
            e->type = KVM_IRQ_ROUTING_IRQCHIP;
            e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
            e->u.irqchip.pin = gsi == 0 ? 2 : gsi;
            e++;
        }
    }
    table->nr = e - table->entries;
    if (kvm_ioctl(s->vmfd, KVM_SET_GSI_ROUTING, table) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_GSI_ROUTING");
        return false;
    }
    return true;
}

static bool kvm_create_irqchip(KVMState *s, Error **errp)
{
    if (!s->kernel_irqchip) {
        return true;
    }
    if (!kvm_check_extension(s->fd, KVM_CAP_IRQCHIP)) {
        /* Still runnable: fall back to the board's 8259/8254, loudly. */
        warn_report("kvm: no in-kernel irqchip; using the userspace PIC and PIT");
        s->kernel_irqchip = false;
        return true;
    }
    if (kvm_ioctl(s->vmfd, KVM_CREATE_IRQCHIP, NULL) < 0) {
        error_setg_errno(errp, errno, "KVM_CREATE_IRQCHIP");
        return false;
    }
    if (kvm_check_extension(s->fd, KVM_CAP_IRQ_ROUTING) && !kvm_set_gsi_routing(s, errp)) {
        return false;
    }
    if (kvm_check_extension(s->fd, KVM_CAP_PIT2)) {
        /* The kernel PIT also answers port 0x61 (speaker/OUT2 status),
         * which only it can know. */
        struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
        if (kvm_ioctl(s->vmfd, KVM_CREATE_PIT2, &pit) < 0) {
            error_setg_errno(errp, errno, "KVM_CREATE_PIT2");
            return false;
        }
        s->kernel_pit = true;
    }
    return true;
}

/*
 * System reset of the in-kernel 8259 pair and IOAPIC (the guest
 * re-initialises them; what matters is that nothing stale stays
 * pending or unmasked).  The 8254 is left alone: its state is whatever
 * the guest programs next.
 */
static void kvm_irqchip_reset(void *opaque)
{
    KVMState *s = opaque;

    for (uint32_t chip_id = KVM_IRQCHIP_PIC_MASTER; chip_id <= KVM_IRQCHIP_IOAPIC; chip_id++) {
        struct kvm_irqchip chip = { .chip_id = chip_id };

        if (kvm_ioctl(s->vmfd, KVM_GET_IRQCHIP, &chip) < 0) {
            warn_report("kvm: KVM_GET_IRQCHIP %u: %s", chip_id, strerror(errno));
            continue;
        }
        if (chip_id == KVM_IRQCHIP_IOAPIC) {
            /* IOAPIC datasheet 3.2.4: redirection entries reset masked. */
            for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
                chip.chip.ioapic.redirtbl[i].bits = 1ULL << 16;
            }
            chip.chip.ioapic.irr = 0;
            chip.chip.ioapic.ioregsel = 0;
        } else {
            uint8_t elcr_mask = chip.chip.pic.elcr_mask;
            memset(&chip.chip.pic, 0, sizeof(chip.chip.pic));
            chip.chip.pic.elcr_mask = elcr_mask;
        }
        if (kvm_ioctl(s->vmfd, KVM_SET_IRQCHIP, &chip) < 0) {
            warn_report("kvm: KVM_SET_IRQCHIP %u: %s", chip_id, strerror(errno));
        }
    }
}

bool kvm_init_machine(MachineState *ms, Error **errp)
{
    g_autofree KVMState *s = g_new0(KVMState, 1);

    kvm_parse_opts(s, ms->accel_opts);
    s->fd = kvm_open(errp);
    if (s->fd < 0) {
        return false;
    }
    do {
        s->vmfd = ioctl(s->fd, KVM_CREATE_VM, 0);
    } while (s->vmfd < 0 && errno == EINTR);
    if (s->vmfd < 0) {
        error_setg_errno(errp, errno, "KVM_CREATE_VM");
        goto fail_fd;
    }
    s->vcpu_mmap_size = ioctl(s->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (s->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        error_setg(errp, "KVM_GET_VCPU_MMAP_SIZE returned %d", s->vcpu_mmap_size);
        goto fail_vm;
    }
    s->nr_slots = kvm_check_extension(s->fd, KVM_CAP_NR_MEMSLOTS);
    if (s->nr_slots <= 0) {
        s->nr_slots = 32; /* KVM's historical minimum */
    }
    s->slots = g_new0(KVMSlot, s->nr_slots);
    for (int i = 0; i < s->nr_slots; i++) {
        s->slots[i].slot = i;
    }
    s->readonly_mem = kvm_check_extension(s->fd, KVM_CAP_READONLY_MEM);
    s->coalesced_mmio_page = kvm_check_extension(s->fd, KVM_CAP_COALESCED_MMIO);
    s->coalesced_pio = s->coalesced_mmio_page && kvm_check_extension(s->fd, KVM_CAP_COALESCED_PIO);

    /* Must precede the first vCPU (KVM API doc: KVM_SET_IDENTITY_MAP_ADDR). */
    if (kvm_check_extension(s->fd, KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
        uint64_t identity = KVM_IDENTITY_MAP_ADDR;
        if (kvm_ioctl(s->vmfd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0) {
            error_setg_errno(errp, errno, "KVM_SET_IDENTITY_MAP_ADDR");
            goto fail_vm;
        }
    }
    if (ioctl(s->vmfd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_TSS_ADDR");
        goto fail_vm;
    }
    if (!kvm_create_irqchip(s, errp)) {
        goto fail_vm;
    }

    s->memory_listener = (MemoryListener) {
        .name = "kvm-memory",
        .region_add = kvm_region_add,
        .region_del = kvm_region_del,
        .coalesced_io_add = kvm_coalesced_mmio_add,
        .coalesced_io_del = kvm_coalesced_mmio_del,
    };
    s->io_listener = (MemoryListener) {
        .name = "kvm-io",
        .coalesced_io_add = kvm_coalesced_pio_add,
        .coalesced_io_del = kvm_coalesced_pio_del,
    };
    memory_listener_register(&s->memory_listener, &address_space_memory);
    memory_listener_register(&s->io_listener, &address_space_io);

    if (s->kernel_irqchip) {
        qemu_register_reset(kvm_irqchip_reset, s);
    }
    /* The board reads these through kvm_irqchip_in_kernel() and
     * kvm_pit_in_kernel() (sysemu/kvm.h). */
    ms->kernel_irqchip = s->kernel_irqchip;
    ms->kernel_pit = s->kernel_pit;
    trace_event(kvm_init_machine, "vmfd=%d slots=%d irqchip=%d pit=%d coalesced_mmio=%d pio=%d",
                s->vmfd, s->nr_slots, s->kernel_irqchip, s->kernel_pit,
                s->coalesced_mmio_page, s->coalesced_pio);
    /* Each vCPU's record names the VM; kvm_init_vcpu fills in the rest. */
    for (unsigned i = 0; ms->cpus && i < ms->smp.cpus; i++) {
        KVMCPUState *kcpu = g_new0(KVMCPUState, 1);
        kcpu->fd = -1;
        kcpu->s = s;
        ms->cpus[i]->accel = kcpu;
    }
    ms->accel_state = g_steal_pointer(&s);
    return true;

fail_vm:
    close(s->vmfd);
fail_fd:
    close(s->fd);
    g_free(s->slots);
    return false;
}

void kvm_cleanup(MachineState *ms)
{
    KVMState *s = ms->accel_state;
    if (!s) {
        return;
    }
    if (s->kernel_irqchip) {
        qemu_unregister_reset(kvm_irqchip_reset, s);
    }
    memory_listener_unregister(&s->memory_listener);
    memory_listener_unregister(&s->io_listener);
    for (unsigned i = 0; ms->cpus && i < ms->smp.cpus; i++) {
        KVMCPUState *kcpu = ms->cpus[i] ? ms->cpus[i]->accel : NULL;
        if (!kcpu) {
            continue;
        }
        if (kcpu->run) {
            munmap(kcpu->run, s->vcpu_mmap_size);
        }
        if (kcpu->fd >= 0) {
            close(kcpu->fd);
        }
        kvm_debug_cleanup(kcpu);
        g_free(kcpu);
        ms->cpus[i]->accel = NULL;
    }
    close(s->vmfd);
    close(s->fd);
    g_free(s->slots);
    g_free(s);
    ms->accel_state = NULL;
}

void kvm_set_irq(MachineState *ms, int gsi, int level)
{
    KVMState *s = ms->accel_state;
    struct kvm_irq_level irq = { .irq = gsi, .level = level };

    trace_event(kvm_set_irq, "gsi=%d level=%d", gsi, level);
    if (kvm_ioctl(s->vmfd, KVM_IRQ_LINE, &irq) < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "kvm: KVM_IRQ_LINE gsi %d: %s\n", gsi, strerror(errno));
    }
}

const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .description = "Linux KVM (hardware virtualization)",
    .opts = kvm_accel_opts,
    .probe = kvm_probe,
    .init_machine = kvm_init_machine,
    .init_vcpu = kvm_init_vcpu,
    .cpu_thread_fn = kvm_vcpu_thread_fn,
    .cpu_exec = kvm_cpu_exec,
    .kick_vcpu = kvm_kick_vcpu,
    .synchronize_state = kvm_cpu_synchronize_state,
    .synchronize_post_reset = kvm_cpu_synchronize_post_reset,
    .set_irq = kvm_set_irq,
    .update_guest_debug = kvm_update_guest_debug,
    .debug_memory_fixup = kvm_debug_memory_fixup,
    .cleanup = kvm_cleanup,
};
