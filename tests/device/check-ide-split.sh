#!/usr/bin/env bash
# The ATA drive (hw/ide/core.c, atacmd.c, dma.c, the ATAPI device in
# atapi.c and atapi-cmd.c, and what they include
# privately) reaches its DMA engine only through IDEDMAOps: no BMDMA
# state, status bits or functions, no PCI header, config space or
# bus-master enable.  Those belong to hw/ide/bmdma.c and hw/ide/piix.c.
#   check-ide-split.sh SOURCE_ROOT
set -uo pipefail
src=${1:?usage: check-ide-split.sh SOURCE_ROOT}
files=(hw/ide/core.c hw/ide/atacmd.c hw/ide/dma.c hw/ide/ide-internal.h hw/ide/ide-bus.c
       hw/ide/identify.c hw/include/hw/ide/ide.h hw/ide/atapi.c hw/ide/atapi-cmd.c)
# Identifiers and includes only: comments may name the bus master.
pattern='BMDMAState|bmdma_[a-z_]+ *\(|->bmdma|BM_(STATUS|CMD)_|pci_[a-z_]+ *\(|PCI_(STATUS|COMMAND)|#include *"hw/(ide/pci|pci/)'
failures=0
for f in "${files[@]}"; do
    [ -f "$src/$f" ] || { echo "FAIL: $f is missing"; failures=$((failures + 1)); continue; }
    if hits=$(grep -nE "$pattern" "$src/$f"); then
        echo "FAIL: $f reaches past IDEDMAOps:"
        echo "$hits"
        failures=$((failures + 1))
    fi
done
# Control: the pattern does find the bus master where it lives.
grep -qE "$pattern" "$src/hw/ide/bmdma.c" || { echo "FAIL: the pattern finds nothing in bmdma.c"; exit 1; }
((failures == 0)) && echo "ok: ${#files[@]} drive files use only IDEDMAOps"
((failures == 0))
