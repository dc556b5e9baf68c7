/*
 * AML and resource descriptor encoding (hw/acpi/aml-build.h).
 */
#include <stdlib.h>
#include <string.h>

#include "hw/acpi/aml-build.h"

#define AML_ZERO_OP    0x00
#define AML_ONE_OP     0x01
#define AML_NAME_OP    0x08
#define AML_BYTE_PFX   0x0a
#define AML_WORD_PFX   0x0b
#define AML_DWORD_PFX  0x0c
#define AML_QWORD_PFX  0x0e
#define AML_SCOPE_OP   0x10
#define AML_BUFFER_OP  0x11
#define AML_PACKAGE_OP 0x12
#define AML_EXT_PFX    0x5b
#define AML_DEVICE_OP  0x82 /* after AML_EXT_PFX */

static void put_byte(GByteArray *out, uint8_t b)
{
    g_byte_array_append(out, &b, 1);
}

static void put_le(GByteArray *out, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        put_byte(out, v >> (8 * i));
    }
}

/* 20.2.4: PkgLength counts its own bytes and the @len that follow. */
static void put_pkg_length(GByteArray *out, size_t len)
{
    if (len + 1 < 0x40) {
        put_byte(out, len + 1);
        return;
    }
    for (unsigned extra = 1; extra <= 3; extra++) {
        size_t total = len + 1 + extra;
        if (total < (1u << (4 + 8 * extra))) {
            put_byte(out, (extra << 6) | (total & 0x0f));
            for (unsigned i = 0; i < extra; i++) {
                put_byte(out, total >> (4 + 8 * i));
            }
            return;
        }
    }
    g_assert_not_reached(); /* 256 MiB of AML: not ours */
}

void aml_append_name(GByteArray *out, const char *name)
{
    if (*name == '\\') {
        put_byte(out, '\\');
        name++;
    }
    /* One NameSeg, padded with '_' as 20.2.2 requires. */
    for (int i = 0; i < 4; i++) {
        put_byte(out, *name ? *name++ : '_');
    }
}

static void append_container(GByteArray *out, const uint8_t *op, unsigned op_len,
                             const char *name, GByteArray *body)
{
    GByteArray *named = g_byte_array_new();

    aml_append_name(named, name);
    g_byte_array_append(named, body->data, body->len);
    g_byte_array_append(out, op, op_len);
    put_pkg_length(out, named->len);
    g_byte_array_append(out, named->data, named->len);
    g_byte_array_unref(named);
    g_byte_array_unref(body);
}

void aml_append_scope(GByteArray *out, const char *name, GByteArray *body)
{
    static const uint8_t op[] = { AML_SCOPE_OP };
    append_container(out, op, sizeof(op), name, body);
}

void aml_append_device(GByteArray *out, const char *name, GByteArray *body)
{
    static const uint8_t op[] = { AML_EXT_PFX, AML_DEVICE_OP };
    append_container(out, op, sizeof(op), name, body);
}

static void put_integer(GByteArray *out, uint64_t v)
{
    if (v == 0) {
        put_byte(out, AML_ZERO_OP);
    } else if (v == 1) {
        put_byte(out, AML_ONE_OP);
    } else if (v <= 0xff) {
        put_byte(out, AML_BYTE_PFX);
        put_le(out, v, 1);
    } else if (v <= 0xffff) {
        put_byte(out, AML_WORD_PFX);
        put_le(out, v, 2);
    } else if (v <= 0xffffffff) {
        put_byte(out, AML_DWORD_PFX);
        put_le(out, v, 4);
    } else {
        put_byte(out, AML_QWORD_PFX);
        put_le(out, v, 8);
    }
}

void aml_append_name_int(GByteArray *out, const char *name, uint64_t value)
{
    put_byte(out, AML_NAME_OP);
    aml_append_name(out, name);
    put_integer(out, value);
}

uint32_t aml_eisaid(const char *id)
{
    /* Three letters in 5 bits each ('A' = 1), then four hex digits,
     * stored as a big-endian 32-bit value read little-endian. */
    uint16_t vendor = ((id[0] - '@') << 10) | ((id[1] - '@') << 5) | (id[2] - '@');
    uint16_t product = (uint16_t)strtoul(id + 3, NULL, 16);
    uint8_t b[4] = { vendor >> 8, vendor & 0xff, product >> 8, product & 0xff };

    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

void aml_append_name_eisaid(GByteArray *out, const char *name, const char *id)
{
    put_byte(out, AML_NAME_OP);
    aml_append_name(out, name);
    put_byte(out, AML_DWORD_PFX); /* an EisaId is always a DWord */
    put_le(out, aml_eisaid(id), 4);
}

void aml_append_name_buffer(GByteArray *out, const char *name, const GByteArray *bytes)
{
    GByteArray *body = g_byte_array_new();

    put_integer(body, bytes->len);
    g_byte_array_append(body, bytes->data, bytes->len);
    put_byte(out, AML_NAME_OP);
    aml_append_name(out, name);
    put_byte(out, AML_BUFFER_OP);
    put_pkg_length(out, body->len);
    g_byte_array_append(out, body->data, body->len);
    g_byte_array_unref(body);
}

void aml_append_name_package(GByteArray *out, const char *name, const uint8_t *values,
                             unsigned count)
{
    GByteArray *body = g_byte_array_new();

    put_byte(body, count); /* NumElements */
    for (unsigned i = 0; i < count; i++) {
        put_integer(body, values[i]);
    }
    put_byte(out, AML_NAME_OP);
    aml_append_name(out, name);
    put_byte(out, AML_PACKAGE_OP);
    put_pkg_length(out, body->len);
    g_byte_array_append(out, body->data, body->len);
    g_byte_array_unref(body);
}

/* 6.4.2.5 I/O Port Descriptor (16-bit decode). */
void aml_res_io(GByteArray *out, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    put_byte(out, 0x47);
    put_byte(out, 0x01);
    put_le(out, min, 2);
    put_le(out, max, 2);
    put_byte(out, align);
    put_byte(out, len);
}

/* 6.4.3.5.3 Word Address Space Descriptor: @type 1 = I/O, 2 = bus numbers. */
static void res_word(GByteArray *out, uint8_t type, uint8_t type_flags, uint16_t min,
                     uint16_t max)
{
    put_byte(out, 0x88);
    put_le(out, 13, 2);
    put_byte(out, type);
    put_byte(out, 0x0c); /* min and max fixed, producer, positive decode */
    put_byte(out, type_flags);
    put_le(out, 0, 2);   /* granularity */
    put_le(out, min, 2);
    put_le(out, max, 2);
    put_le(out, 0, 2);   /* translation offset */
    put_le(out, (uint32_t)max - min + 1, 2);
}

void aml_res_word_bus(GByteArray *out, uint16_t min, uint16_t max)
{
    res_word(out, 2, 0, min, max);
}

void aml_res_word_io(GByteArray *out, uint16_t min, uint16_t max)
{
    res_word(out, 1, 0x03, min, max); /* the entire range, ISA and non-ISA */
}

/* 6.4.3.5.2 DWord Address Space Descriptor for memory, cacheable, read-write. */
void aml_res_dword_memory(GByteArray *out, uint32_t min, uint32_t max)
{
    put_byte(out, 0x87);
    put_le(out, 23, 2);
    put_byte(out, 0);    /* memory */
    put_byte(out, 0x0c);
    put_byte(out, 0x03); /* cacheable, read-write */
    put_le(out, 0, 4);
    put_le(out, min, 4);
    put_le(out, max, 4);
    put_le(out, 0, 4);
    put_le(out, (uint64_t)max - min + 1, 4);
}

/* ACPI 6.4.2.1 IRQ Descriptor, the two-byte form (edge, active high) */
void aml_res_irq_noflags(GByteArray *out, uint16_t mask)
{
    put_byte(out, 0x22);
    put_le(out, mask, 2);
}

/* ACPI 6.4.3.4 32-Bit Fixed Memory Range Descriptor */
void aml_res_memory32_fixed(GByteArray *out, uint32_t base, uint32_t len, bool writable)
{
    put_byte(out, 0x86);
    put_le(out, 9, 2);
    put_byte(out, writable ? 1 : 0);
    put_le(out, base, 4);
    put_le(out, len, 4);
}

/* 6.4.2.9 End Tag; a checksum of 0 means "treat as correct". */
void aml_res_end(GByteArray *out)
{
    put_byte(out, 0x79);
    put_byte(out, 0);
}
