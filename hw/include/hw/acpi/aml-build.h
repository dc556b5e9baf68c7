/*
 * Building AML byte code (ACPI 6.4 chapter 20) and resource descriptors
 * (section 6.4) for the few constructs duet's DSDT needs.  Every function
 * appends to a GByteArray; containers (Scope, Device, Buffer, Package) take
 * their finished body and prefix it with its PkgLength.
 */
#ifndef HW_ACPI_AML_BUILD_H
#define HW_ACPI_AML_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* 20.2.2 NameSeg/NameString: "\_SB_", "PCI0", "_HID" (4 characters per segment). */
void aml_append_name(GByteArray *out, const char *name);
/* Scope (name) { body } and Device (name) { body }; body is consumed. */
void aml_append_scope(GByteArray *out, const char *name, GByteArray *body);
void aml_append_device(GByteArray *out, const char *name, GByteArray *body);
/* Name (name, integer): the smallest integer encoding (Zero/One/Byte/Word/DWord). */
void aml_append_name_int(GByteArray *out, const char *name, uint64_t value);
/* Name (name, EisaId ("PNP0A03")). */
void aml_append_name_eisaid(GByteArray *out, const char *name, const char *id);
/* Name (name, Buffer () { bytes }). */
void aml_append_name_buffer(GByteArray *out, const char *name, const GByteArray *bytes);
/* Name (name, Package () { byte integers }). */
void aml_append_name_package(GByteArray *out, const char *name, const uint8_t *values,
                             unsigned count);

/* Resource descriptors for a ResourceTemplate (6.4.2, 6.4.3); end with
 * aml_res_end. Flags: min/max fixed, producer (a bridge's windows). */
void aml_res_io(GByteArray *out, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_res_word_bus(GByteArray *out, uint16_t min, uint16_t max);
void aml_res_word_io(GByteArray *out, uint16_t min, uint16_t max);
void aml_res_dword_memory(GByteArray *out, uint32_t min, uint32_t max);
void aml_res_irq_noflags(GByteArray *out, uint16_t mask);
void aml_res_memory32_fixed(GByteArray *out, uint32_t base, uint32_t len, bool writable);
void aml_res_end(GByteArray *out);

/* The 32-bit compressed EISA ID of "PNP0A03" (6.1.5). */
uint32_t aml_eisaid(const char *id);

#endif
