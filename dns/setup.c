/* What the resolver core is handed from outside: glibc's functions (see
 * dns.h). The core never looks for them itself: finding "the definition
 * after ours" is the interposing layer's business, not the resolver's. */
#include "dns/internal.h"

struct dns_libc dns_libc;

void dns_set_libc(const struct dns_libc *l)
{
	dns_libc = *l;
}
