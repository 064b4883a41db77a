/*
 * clock.h - time in milliseconds.
 */
#ifndef DS_CLOCK_H
#define DS_CLOCK_H

#include <stdint.h>

/* Wall-clock unix time in ms: what the store records. */
int64_t clock_now_ms(void);
/* Monotonic ms: for measuring durations. */
int64_t clock_mono_ms(void);

#endif
