/* keel's command-line options (one table; `help` prints it). */
#ifndef KEEL_VMM_OPTIONS_H
#define KEEL_VMM_OPTIONS_H
#include "lib/options.h"

extern const struct opt_desc keel_options[];
extern const unsigned keel_options_count;
extern struct opt_values keel_opts;     /* parsed at boot */

#endif
