/* sl_crash.h: a last word from a program that dies of a fatal signal.
 *
 * 0.2.0's server twice vanished with an empty log.  Every program now says,
 * on stderr (its log), which fatal signal ended it and where (a backtrace),
 * then dies of that same signal, so that the exit status and a core file
 * (where `ulimit -c` allows one) are what they would have been.  Under
 * AddressSanitizer nothing is installed: its own report is better. */
#ifndef SL_CRASH_H
#define SL_CRASH_H

/* Installs the handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT. */
void sl_crash_install(const char *program);

#endif
