/* lib/format.c for the 32-bit chainload stub: it reads %ll arguments as
 * `long`, which is 64-bit in keel (LP64) but 32-bit here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "lib/format.h"
#define long long long
#include "lib/format.c"
