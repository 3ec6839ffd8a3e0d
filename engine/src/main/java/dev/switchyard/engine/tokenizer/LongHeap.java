package dev.switchyard.engine.tokenizer;

import java.util.Arrays;

/**
 * A binary min-heap of longs. The merge loops pack (priority, position) into one long so that the
 * smallest key is the next merge and ties go to the leftmost position, without any boxing.
 */
final class LongHeap {

    private long[] heap = new long[64];
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    void clear() {
        size = 0;
    }

    void push(long v) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            long p = heap[parent];
            if (p <= v) {
                break;
            }
            heap[i] = p;
            i = parent;
        }
        heap[i] = v;
    }

    long pop() {
        long top = heap[0];
        long last = heap[--size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            long c = heap[child];
            int right = child + 1;
            if (right < size && heap[right] < c) {
                child = right;
                c = heap[right];
            }
            if (last <= c) {
                break;
            }
            heap[i] = c;
            i = child;
        }
        if (size > 0) {
            heap[i] = last;
        }
        return top;
    }
}
