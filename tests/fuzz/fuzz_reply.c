/* fuzz_reply: what the admin tool prints from a server's REPLY (issue 14):
 * any frame is decoded (sl_msg_decode) and, when it is a REPLY, its text and
 * table are printed the way shuanglian-admin prints them (aligned, CJK
 * widths).  Must never crash or read out of bounds, whatever the cells
 * hold; every string decoded lies inside the frame.  Seeds: the REPLY vectors of proto/vectors. */
#include "sl_msg.h"
#include "sl_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    sl_msg_t m;
    char err[300];
    memset(&m, 0, sizeof m);
    if (sl_msg_decode(&m, data, size, err, sizeof err) == 0 && m.type == SL_REPLY) {
        /* Every string the decoder hands out lies inside the frame. */
        const char *lo = (const char *) data, *hi = lo + size;
        if (m.text_len && (m.text < lo || m.text + m.text_len > hi))
            abort();
        for (size_t i = 0; i < m.ncells; i++)
            if (m.cells[i].len && (m.cells[i].ptr < lo || m.cells[i].ptr + m.cells[i].len > hi))
                abort();
        fprintf(null, "%.*s\n", (int) m.text_len, m.text);
        if (m.columns && m.ncells) {
            char **cells = calloc(m.ncells, sizeof *cells);
            for (size_t i = 0; cells && i < m.ncells; i++)
                /* not strndup: ASan (strict_string_checks) reads a string given
                 * to strndup up to its NUL, past the end of the frame */
                cells[i] = sl_text_dup(m.cells[i].ptr, m.cells[i].len);
            if (cells)
                sl_table_print_cells(m.columns, (const char *const *) cells, m.ncells, null);
            for (size_t i = 0; cells && i < m.ncells; i++)
                free(cells[i]);
            free(cells);
        }
    }
    sl_msg_reset(&m);
    return 0;
}
