/* read_jsonl's checks of a line, declared in _capi.pxd. */
#ifndef CYITER_JSONL_H
#define CYITER_JSONL_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Whether p[0:n] is empty or only ASCII whitespace (what bytes.isspace()
   calls whitespace): a blank line. */
static inline int cyiter_blank(const char *p, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c != ' ' && (c < '\t' || c > '\r')) return 0;
    }
    return 1;
}

#define CYITER_IS_DIGIT(c) ((unsigned char)((c) - '0') < 10)

/* Whether p[0:n] holds a run of at least `run` (15 or more) ASCII digits.
   Such a run covers a whole 8-byte word at an offset that is a multiple of
   8, so only the words made of eight digits are looked at closely (the
   test of a word is simdjson's is_made_of_eight_digits_fast). */
static inline int cyiter_digit_run(const char *p, Py_ssize_t n, Py_ssize_t run) {
    for (Py_ssize_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (((w & 0xF0F0F0F0F0F0F0F0ULL)
             | (((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4))
            != 0x3333333333333333ULL)
            continue;
        Py_ssize_t a = i, b = i + 8;
        while (a > 0 && CYITER_IS_DIGIT(p[a - 1])) a--;
        while (b < n && CYITER_IS_DIGIT(p[b])) b++;
        if (b - a >= run) return 1;
    }
    return 0;
}

#endif /* CYITER_JSONL_H */
