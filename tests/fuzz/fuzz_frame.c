/* fuzz_frame: libFuzzer target for the protocol frame decoder.
 *
 * Any byte string goes to sl_msg_decode, as if it arrived from the network.
 * The decoder must never crash, leak or read out of bounds; whatever it
 * accepts must re-encode to a frame that decodes to the same message type
 * and session.  Run: scripts/fuzz.sh (see tests/fuzz/README.md). */
#include "sl_msg.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    sl_msg_t msg;
    memset(&msg, 0, sizeof msg);
    if (sl_msg_decode(&msg, data, size, err, sizeof err) == 0) {
        msgpack_sbuffer out;
        msgpack_sbuffer_init(&out);
        sl_msg_encode(&msg, &out);
        sl_msg_t again;
        memset(&again, 0, sizeof again);
        int rc = sl_msg_decode(&again, (const uint8_t *) out.data, out.size, err, sizeof err);
        if (rc != 0 || again.type != msg.type || again.sess != msg.sess)
            abort();            /* what we accept we must be able to say back */
        sl_msg_reset(&again);
        msgpack_sbuffer_destroy(&out);
    }
    sl_msg_reset(&msg);
    return 0;
}
