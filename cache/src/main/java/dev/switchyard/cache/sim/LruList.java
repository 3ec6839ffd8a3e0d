package dev.switchyard.cache.sim;

import java.util.Arrays;

/**
 * Recency order over dense keys: a doubly linked list threaded through two int arrays, so moving a
 * key to the front and dropping the eldest are O(1) and allocate nothing. Head = most recent.
 */
final class LruList {

    private static final int NONE = -1;
    private final int[] prev;
    private final int[] next;
    private final boolean[] present;
    private int head = NONE;
    private int tail = NONE;
    private int size;

    LruList(int keySpace) {
        prev = new int[keySpace];
        next = new int[keySpace];
        present = new boolean[keySpace];
        Arrays.fill(prev, NONE);
        Arrays.fill(next, NONE);
    }

    boolean contains(int key) {
        return present[key];
    }

    int size() {
        return size;
    }

    /** Inserts {@code key} as most recent, or moves it there. */
    void touch(int key) {
        if (present[key]) {
            unlink(key);
        } else {
            present[key] = true;
            size++;
        }
        next[key] = head;
        prev[key] = NONE;
        if (head != NONE) {
            prev[head] = key;
        }
        head = key;
        if (tail == NONE) {
            tail = key;
        }
    }

    /** Moves a present {@code key} to the least recent end: the next to go. */
    void demote(int key) {
        if (!present[key] || key == tail) {
            return;
        }
        unlink(key);
        prev[key] = tail;
        next[key] = NONE;
        next[tail] = key;
        tail = key;
    }

    /** The least recent key, or -1 when empty. */
    int eldest() {
        return tail;
    }

    void remove(int key) {
        if (!present[key]) {
            return;
        }
        unlink(key);
        present[key] = false;
        size--;
    }

    private void unlink(int key) {
        int p = prev[key];
        int n = next[key];
        if (p != NONE) {
            next[p] = n;
        } else {
            head = n;
        }
        if (n != NONE) {
            prev[n] = p;
        } else {
            tail = p;
        }
        prev[key] = NONE;
        next[key] = NONE;
    }
}
