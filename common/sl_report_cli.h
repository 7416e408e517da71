/* sl_report_cli.h: `report …` on the command line, the same for
 * shuanglian-server (on the server machine) and shuanglian-admin (over the
 * network): the words and options become a report.* ADMIN request, and the
 * REPLY's cells become the chosen form (sl_render.h), written where the
 * command runs.  Both programs parse and print through here, so the same
 * report prints the same bytes from either. */
#ifndef SL_REPORT_CLI_H
#define SL_REPORT_CLI_H
#include "sl_cli.h"
#include "sl_render.h"
#include <stddef.h>
#include <stdint.h>

#define SL_REPORT_CLI_ARGS 16

typedef struct {
    char verb[64];              /* "report.dispatch" */
    sl_form_t form;
    const char *file;           /* --xlsx FILE, --html FILE */
    size_t nargs;
    const char *keys[SL_REPORT_CLI_ARGS];
    const char *values[SL_REPORT_CLI_ARGS];
} sl_report_request_t;

/* Parses the words after `report` (NAME [TYPE] and the options), with the
 * program's own options `extra` (--data, --cred …) accepted too.  0, 1 when
 * help was printed, or an exit code after printing what is wrong. */
int sl_report_cli_parse(const char *program, int argc, char **argv, const sl_opt_t *extra,
                        size_t nextra, sl_report_request_t *req);
/* Decodes the REPLY's cells and writes the report in req->form: text, CSV
 * and JSON to out; XLSX and HTML to req->file (saying so on out).  Returns
 * an exit code (0, or 1 after printing why to err). */
int sl_report_cli_print(const char *command, const sl_report_request_t *req, uint32_t columns,
                        const char *const *cells, const size_t *lens, size_t ncells, FILE *out,
                        FILE *err);

#endif
