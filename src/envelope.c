/* envelope.c: not written yet */
#include "config.h"
typedef int ds_placeholder_envelope;
