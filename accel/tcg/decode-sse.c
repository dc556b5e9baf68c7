#include "fpu_helper.h"
InsnHandler sse_decode(DecodedInsn *d, uint8_t opcode)
{
    return op_ud;
}
