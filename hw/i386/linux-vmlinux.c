/*
 * A bzImage's compressed kernel unpacked on the host (linux-vmlinux.h).
 * Formats: XZ (the .xz file format, as the kernel's "xz --check=crc32"
 * writes it; liblzma checks the CRC) and gzip (RFC 1952, through zlib);
 * the ELF checks follow the System V ABI's ELF header and program header.
 */
#include <elf.h>
#include <inttypes.h>
#include <string.h>
#include <glib.h>
#include <lzma.h>
#include <zlib.h>

#include "hw/i386/linux-vmlinux.h"

#define MAX_SEGMENTS 64
#define FIRST_CHUNK  (16u << 20)

/* The output buffer, grown by doubling up to the limit. */
typedef struct OutBuf {
    uint8_t *data;
    size_t size, used, limit;
} OutBuf;

static bool outbuf_grow(OutBuf *o)
{
    size_t want;

    if (o->size >= o->limit) {
        return false;
    }
    want = o->size ? MIN(o->size * 2, o->limit) : MIN((size_t)FIRST_CHUNK, o->limit);
    o->data = g_realloc(o->data, want);
    o->size = want;
    return true;
}

static bool unpack_xz(const char *name, const uint8_t *in, size_t len, OutBuf *o,
                      Error **errp)
{
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_ret ret;

    /* No LZMA_CONCATENATED: the stream ends where the kernel's 4-byte
     * size trailer begins. */
    if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK) {
        error_setg(errp, "-kernel %s: cannot start an XZ decoder", name);
        return false;
    }
    s.next_in = in;
    s.avail_in = len;
    for (;;) {
        if (o->used == o->size && !outbuf_grow(o)) {
            error_setg(errp, "-kernel %s: the XZ-compressed kernel unpacks to more than "
                       "%zu bytes (the guest RAM)", name, o->limit);
            break;
        }
        s.next_out = o->data + o->used;
        s.avail_out = o->size - o->used;
        ret = lzma_code(&s, LZMA_FINISH);
        o->used = o->size - s.avail_out;
        if (ret == LZMA_STREAM_END) {
            lzma_end(&s);
            return true;
        }
        if (ret != LZMA_OK && !(ret == LZMA_BUF_ERROR && s.avail_out == 0)) {
            error_setg(errp, "-kernel %s: the XZ-compressed kernel is corrupt or truncated "
                       "(liblzma error %d after %zu bytes out)", name, (int)ret, o->used);
            break;
        }
    }
    lzma_end(&s);
    return false;
}

static bool unpack_gzip(const char *name, const uint8_t *in, size_t len, OutBuf *o,
                        Error **errp)
{
    z_stream zs;
    int ret;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) { /* 16: gzip wrapper only */
        error_setg(errp, "-kernel %s: cannot start a gzip decoder", name);
        return false;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = MIN(len, (size_t)UINT32_MAX);
    for (;;) {
        if (o->used == o->size && !outbuf_grow(o)) {
            error_setg(errp, "-kernel %s: the gzip-compressed kernel unpacks to more than "
                       "%zu bytes (the guest RAM)", name, o->limit);
            break;
        }
        zs.next_out = o->data + o->used;
        zs.avail_out = MIN(o->size - o->used, (size_t)UINT32_MAX);
        ret = inflate(&zs, Z_FINISH);
        o->used = zs.next_out - o->data;
        if (ret == Z_STREAM_END) {
            inflateEnd(&zs);
            return true;
        }
        if (ret != Z_OK && !(ret == Z_BUF_ERROR && zs.avail_out == 0)) {
            error_setg(errp, "-kernel %s: the gzip-compressed kernel is corrupt or truncated "
                       "(zlib: %s)", name, zs.msg ? zs.msg : "unexpected end");
            break;
        }
    }
    inflateEnd(&zs);
    return false;
}

static bool add_segment(LinuxVmlinux *v, uint64_t offset, uint64_t filesz, uint64_t memsz,
                        uint64_t paddr, const char *name, Error **errp)
{
    if (offset > v->len || filesz > v->len - offset || filesz > memsz ||
        paddr + memsz < paddr) {
        error_setg(errp, "-kernel %s: the unpacked kernel's ELF program header %u is "
                   "inconsistent (offset 0x%" PRIx64 ", file size 0x%" PRIx64 ", memory size 0x%"
                   PRIx64 ", file of 0x%zx bytes)", name, v->nseg, offset, filesz, memsz,
                   v->len);
        return false;
    }
    if (v->nseg == MAX_SEGMENTS) {
        error_setg(errp, "-kernel %s: the unpacked kernel has more than %d loadable segments",
                   name, MAX_SEGMENTS);
        return false;
    }
    v->seg[v->nseg++] = (LinuxVmlinuxSegment){ .paddr = paddr, .offset = offset,
                                                .filesz = filesz, .memsz = memsz };
    return true;
}

/* ELF header and PT_LOAD program headers; both classes through one walk. */
static bool parse_elf(const char *name, LinuxVmlinux *v, Error **errp)
{
    const uint8_t *e = v->elf;
    uint64_t phoff, phentsize, phnum;
    uint16_t machine;

    if (v->len < sizeof(Elf32_Ehdr) || memcmp(e, ELFMAG, SELFMAG) ||
        e[EI_DATA] != ELFDATA2LSB || (e[EI_CLASS] != ELFCLASS32 && e[EI_CLASS] != ELFCLASS64)) {
        error_setg(errp, "-kernel %s: the unpacked kernel is not a little-endian ELF file",
                   name);
        return false;
    }
    v->is64 = e[EI_CLASS] == ELFCLASS64;
    if (v->is64) {
        Elf64_Ehdr h;

        if (v->len < sizeof(h)) {
            error_setg(errp, "-kernel %s: the unpacked kernel's ELF header is truncated", name);
            return false;
        }
        memcpy(&h, e, sizeof(h));
        machine = h.e_machine;
        v->entry = h.e_entry;
        phoff = h.e_phoff;
        phentsize = h.e_phentsize;
        phnum = h.e_phnum;
    } else {
        Elf32_Ehdr h;

        memcpy(&h, e, sizeof(h));
        machine = h.e_machine;
        v->entry = h.e_entry;
        phoff = h.e_phoff;
        phentsize = h.e_phentsize;
        phnum = h.e_phnum;
    }
    if (machine != (v->is64 ? EM_X86_64 : EM_386)) {
        error_setg(errp, "-kernel %s: the unpacked kernel is for ELF machine %u, not x86",
                   name, machine);
        return false;
    }
    if (phentsize != (v->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phoff > v->len ||
        phnum * phentsize > v->len - phoff) {
        error_setg(errp, "-kernel %s: the unpacked kernel's ELF program headers lie outside "
                   "the file", name);
        return false;
    }
    v->seg = g_new0(LinuxVmlinuxSegment, MAX_SEGMENTS);
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *p = e + phoff + i * phentsize;
        bool ok = true;

        if (v->is64) {
            Elf64_Phdr ph;

            memcpy(&ph, p, sizeof(ph));
            if (ph.p_type == PT_LOAD) {
                ok = add_segment(v, ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_paddr, name,
                                 errp);
            }
        } else {
            Elf32_Phdr ph;

            memcpy(&ph, p, sizeof(ph));
            if (ph.p_type == PT_LOAD) {
                ok = add_segment(v, ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_paddr, name,
                                 errp);
            }
        }
        if (!ok) {
            return false;
        }
    }
    if (!v->nseg) {
        error_setg(errp, "-kernel %s: the unpacked kernel has no loadable segment", name);
        return false;
    }
    return true;
}

LinuxPayloadResult linux_vmlinux_unpack(const char *name, const uint8_t *payload, size_t len,
                                        uint64_t limit, bool want64, LinuxVmlinux *out,
                                        Error **errp)
{
    static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
    static const uint8_t gzip_magic[2] = { 0x1f, 0x8b };
    OutBuf o = { .limit = MIN(limit, (uint64_t)SIZE_MAX) };
    bool ok;

    memset(out, 0, sizeof(*out));
    if (len >= sizeof(xz_magic) && !memcmp(payload, xz_magic, sizeof(xz_magic))) {
        ok = unpack_xz(name, payload, len, &o, errp);
    } else if (len >= sizeof(gzip_magic) && !memcmp(payload, gzip_magic, sizeof(gzip_magic))) {
        ok = unpack_gzip(name, payload, len, &o, errp);
    } else {
        return LINUX_PAYLOAD_UNSUPPORTED;
    }
    out->elf = o.data;
    out->len = o.used;
    if (!ok || !parse_elf(name, out, errp)) {
        linux_vmlinux_free(out);
        return LINUX_PAYLOAD_ERROR;
    }
    if (out->is64 != want64) {
        /* A 64-bit kernel without XLF_KERNEL_64 (protocol 2.10, 2.11) is
         * entered at the decompressor's 32-bit entry, which switches to
         * long mode itself: that path stays the kernel's own. */
        linux_vmlinux_free(out);
        return LINUX_PAYLOAD_UNSUPPORTED;
    }
    return LINUX_PAYLOAD_UNPACKED;
}

void linux_vmlinux_free(LinuxVmlinux *v)
{
    g_free(v->elf);
    g_free(v->seg);
    memset(v, 0, sizeof(*v));
}
