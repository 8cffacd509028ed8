/* Shared by the resolver shims (dns.c, resolv.c). */
#ifndef SHIM_DNS_H
#define SHIM_DNS_H

/* Give the resolver core (dns/dns.h) glibc's functions and the
 * configuration if that is not done yet; before any call into it. */
void dns_prepare(void);

#endif
