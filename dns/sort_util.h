/* Pieces the three parts of the address sort share (gaiconf.c, netlink.c,
 * sort.c): the merge sort glibc's qsort runs, whose handling of ties the
 * order of answers depends on, and two small helpers for addresses and
 * arrays. */
#ifndef DNS_SORT_UTIL_H
#define DNS_SORT_UTIL_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* IPv4 addresses are kept and matched as ::ffff:a.b.c.d, as glibc does. */
static inline void map4(unsigned char out[16], const unsigned char v4[4])
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

/* Merge sort over an array of indexes, as glibc's qsort (msort) runs it:
 * halves of n/2 and n - n/2, ties taken from the left. tmp holds n. */
typedef int (*idx_cmp)(size_t x, size_t y, void *cx);

static inline void msort_idx(size_t *b, size_t n, size_t *tmp, idx_cmp cmp, void *cx)
{
	if (n <= 1)
		return;
	size_t n1 = n / 2, n2 = n - n1;
	size_t *l = b, *r = b + n1;
	msort_idx(l, n1, tmp, cmp, cx);
	msort_idx(r, n2, tmp, cmp, cx);
	size_t *t = tmp;
	while (n1 > 0 && n2 > 0) {
		if (cmp(*l, *r, cx) <= 0) {
			*t++ = *l++;
			n1--;
		} else {
			*t++ = *r++;
			n2--;
		}
	}
	if (n1 > 0)
		memcpy(t, l, n1 * sizeof *b);
	memcpy(b, tmp, (n - n2) * sizeof *b);
}

/* Order the n entries of src (of size bytes each) by cmp over their
 * indexes, stably, into dst. 0, or -1 when out of memory. */
static inline int order_table(void *dst, const void *src, size_t n, size_t size, idx_cmp cmp)
{
	size_t *ix = malloc(2 * n * sizeof *ix);
	if (!ix)
		return -1;
	for (size_t i = 0; i < n; i++)
		ix[i] = i;
	msort_idx(ix, n, ix + n, cmp, (void *)src);
	for (size_t i = 0; i < n; i++)
		memcpy((char *)dst + i * size, (const char *)src + ix[i] * size, size);
	free(ix);
	return 0;
}

/* Room for element n of the array *p of *cap elements (doubled as needed). */
static inline int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 8;
	void *q = realloc(*p, c * size);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

#endif
