/* Reading the small files the resolver follows (host.conf, nsswitch.conf,
 * gai.conf): one way for all of them. resolv.conf is c-ares' to read. */
#ifndef DNS_FILE_H
#define DNS_FILE_H

#include <stddef.h>
#include <time.h>

/* No limit on the size, for dns_file_read (the buffer is sized by need). */
#define DNS_FILE_ANY ((size_t)-1 / 2)

/* The first max bytes of the file at path, NUL-terminated, in malloc'd
 * memory; *len is the length before the NUL. A read error ends the text
 * where it happened, as it ends glibc's getline. mtime, when not NULL,
 * receives the modification time of the file opened. NULL when the file
 * cannot be opened (or stat()ed, when mtime is asked) or memory runs out. */
char *dns_file_read(const char *path, size_t max, size_t *len, struct timespec *mtime);

#endif
