/* The resolver core's dealings with the process around it: glibc's
 * functions, handed over from outside (dns.h), and what a fork asks of it.
 *
 * The core never looks for glibc itself: finding "the definition after
 * ours" is the interposing layer's business, not the resolver's.
 *
 * Process state after fork(), module by module:
 *   sources.c  the lock and the cached nsswitch.conf hosts line: reset
 *              (reread at the first lookup);
 *   gaiconf.c  the lock and the references of the sorts of threads gone:
 *              reset; the parsed gai.conf tables stay, as glibc's do;
 *   chan.c     nothing: channels live for one call, on the caller's
 *              stack, and c-ares 1.18's library state has no lock; a
 *              lookup of a thread the child does not have leaves its
 *              sockets open there, as glibc's resolver would;
 *   hostent.c, nameinfo.c, netlink.c  a pthread key, the local domain
 *              and a sequence counter, all valid in the child. */
#include "dns/gaiconf.h"
#include "dns/internal.h"

struct dns_libc dns_libc;

void dns_set_libc(const struct dns_libc *l)
{
	dns_libc = *l;
}

void dns_atfork_child(void)
{
	dns_sources_atfork_child();
	conf_atfork_child();
}
