/* The readers' C helpers, declared in _capi.pxd: raw reads and the
 * newline scan. */
#ifndef CYITER_IO_H
#define CYITER_IO_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

/* read(2) on the descriptor of a file the reader opened itself: what
   FileIO.readinto does, without a memoryview and a method call. */
#ifdef _WIN32
#include <io.h>
#include <limits.h>
#define cyiter_sys_read(fd, buf, n) \
    ((Py_ssize_t)_read((fd), (buf), (unsigned)((n) > INT_MAX ? INT_MAX : (n))))
#else
#include <unistd.h>
#define cyiter_sys_read(fd, buf, n) ((Py_ssize_t)read((fd), (buf), (size_t)(n)))
#endif

/* Where is the next b"\n"?  With SSE2 (every x86-64), a bit mask of the
   newlines of a 64-byte block is computed once and kept, so that each short
   line costs a count-trailing-zeros instead of a memchr call. */
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define CYITER_NL_MASKS 1
#endif
#if defined(_MSC_VER)
#include <intrin.h>
static inline int cyiter_ctz64(unsigned long long x) {
    unsigned long i;
    _BitScanForward64(&i, x);
    return (int)i;
}
#else
#define cyiter_ctz64(x) __builtin_ctzll(x)
#endif

typedef struct {
    Py_ssize_t block;        /* the block the masks are of; -1: none */
    unsigned long long mask; /* b"\n" bytes of the block, from the last pos on */
    unsigned long long high; /* bytes >= 0x80 (not ASCII) of the block */
} cyiter_nl_scan;

#ifdef CYITER_NL_MASKS
/* The newline and high-bit masks of p[0:64] (p 16-byte aligned), the bits
   at n and after dropped. */
static inline void cyiter_masks(const char *p, Py_ssize_t n, int text,
                                unsigned long long *nl_mask,
                                unsigned long long *high_mask) {
    const __m128i nl = _mm_set1_epi8('\n');
    const __m128i a = _mm_load_si128((const __m128i *)p);
    const __m128i b = _mm_load_si128((const __m128i *)(p + 16));
    const __m128i c = _mm_load_si128((const __m128i *)(p + 32));
    const __m128i d = _mm_load_si128((const __m128i *)(p + 48));
    unsigned long long m =
        (unsigned long long)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, nl))
        | (unsigned long long)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, nl)) << 16
        | (unsigned long long)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, nl)) << 32
        | (unsigned long long)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(d, nl)) << 48;
    unsigned long long h = !text ? 0 :
        (unsigned long long)(unsigned)_mm_movemask_epi8(a)
        | (unsigned long long)(unsigned)_mm_movemask_epi8(b) << 16
        | (unsigned long long)(unsigned)_mm_movemask_epi8(c) << 32
        | (unsigned long long)(unsigned)_mm_movemask_epi8(d) << 48;
    if (n < 64) {
        m &= (1ULL << n) - 1;
        h &= (1ULL << n) - 1;
    }
    *nl_mask = m;
    *high_mask = h;
}
#endif

/* Index of the first b"\n" in data[pos:end], or -1; with *text* set,
   *ascii tells whether data[pos:that index] is all ASCII (a constant *text*
   compiles the work away).  data is 64-byte aligned with 64 readable bytes
   after end; s caches one block's masks and must be reset (block = -1)
   whenever data[:end] changes. */
static inline Py_ssize_t cyiter_next_nl(cyiter_nl_scan *s, const char *data,
                                        Py_ssize_t pos, Py_ssize_t end,
                                        int text, int *ascii) {
#ifdef CYITER_NL_MASKS
    Py_ssize_t block = pos & ~(Py_ssize_t)63;
    unsigned long long mask, high, from, seen = 0;
    if (pos >= end) return -1;
    if (s->block == block) {
        mask = s->mask;
        high = text ? s->high : 0;
    } else {
        cyiter_masks(data + block, end - block, text, &mask, &high);
    }
    from = ~0ULL << (pos & 63);
    mask &= from;
    high &= from;
    while (mask == 0) {
        seen |= high;
        block += 64;
        if (block >= end) {
            s->block = -1;
            return -1;
        }
        cyiter_masks(data + block, end - block, text, &mask, &high);
    }
    s->block = block;
    s->mask = mask;
    if (text) {
        s->high = high;
        *ascii = (seen | (high & ((mask & (0 - mask)) - 1))) == 0;
    }
    return block + cyiter_ctz64(mask);
#else
    const char *nl = (const char *)memchr(data + pos, '\n', (size_t)(end - pos));
    (void)s;
    (void)text;
    *ascii = 0; /* unknown: decode */
    return nl == NULL ? -1 : nl - data;
#endif
}

/* p[:n] as str when it is UTF-8 whose characters are all below U+0100
   (ASCII and the two-byte sequences C2 xx and C3 xx: most European text),
   decoded in one pass that CPython's general decoder needs two for; NULL
   with no error set when it is not (decode it the general way), NULL with
   MemoryError set when the str cannot be made.  n > 0. */
static inline PyObject *cyiter_utf8_latin1(const char *p, Py_ssize_t n) {
    const unsigned char *s = (const unsigned char *)p;
    Py_ssize_t i = 0;
    PyObject *text = PyUnicode_New(n, 255);  /* at most n characters */
    Py_UCS1 *start, *out;
    if (text == NULL) {
        return NULL;
    }
    start = out = PyUnicode_1BYTE_DATA(text);
    while (i < n) {
        unsigned char c;
        if (i + 8 <= n) {
            /* copy the ASCII bytes before the first non-ASCII one of the
               next eight (a little-endian load: byte k is bits 8k..8k+7) */
            uint64_t word, high;
            int ascii;
            memcpy(&word, s + i, 8);
            high = word & 0x8080808080808080ULL;
            memcpy(out, s + i, 8);
            if (high == 0) {
                out += 8;
                i += 8;
                continue;
            }
#if PY_LITTLE_ENDIAN
            ascii = cyiter_ctz64(high) >> 3;
#else
            ascii = __builtin_clzll(high) >> 3;
#endif
            out += ascii;
            i += ascii;
        }
        c = s[i];
        if (c < 0x80) {
            *out++ = c;
            i++;
        } else if ((c == 0xC2 || c == 0xC3) && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            *out++ = (Py_UCS1)(((c & 0x1F) << 6) | (s[i + 1] & 0x3F));
            i += 2;
        } else {  /* past U+00FF, or not UTF-8: the general decoder */
            Py_DECREF(text);
            return NULL;
        }
    }
    if (PyUnicode_Resize(&text, out - start) < 0) {
        Py_XDECREF(text);  /* (a failed resize leaves it to the caller) */
        return NULL;
    }
    return text;
}

#endif /* CYITER_IO_H */
