#include <stdio.h>
#include "util.h"

struct point {
    int x;
    int y;
};

static int clamp(int v, int lo, int hi) {
    if (v < lo) {
        return lo;
    } else if (v > hi) {
        return hi;
    }
    return v;
}

int count_positive(const int *values, int n) {
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (values[i] > 0 && values[i] != 42) {
            count++;
        }
    }
    while (n-- > 0) {
    }
    return count;
}
