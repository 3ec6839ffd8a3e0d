package dev.switchyard.engine.structured;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A grammar's rules as read, before {@link Grammar} checks and flattens them: per rule its
 * alternatives, each a sequence of elements (a rule's number, from 0, or {@code -1 - c} for
 * character class {@code c}). Groups and repetitions are rules of their own, without names.
 */
final class GrammarRules {

    /** Elements a grammar may have once its repetitions are spelled out: bounds the work per character. */
    static final int MAX_ELEMENTS = 1 << 16;

    final List<String> names = new ArrayList<>();
    final List<List<int[]>> alternatives = new ArrayList<>();
    /** Per class, its code point ranges: pairs, sorted, apart. */
    final List<int[]> classes = new ArrayList<>();
    /** Per rule, where its name was first used, and where it is defined (-1: not). */
    final List<Integer> firstUse = new ArrayList<>();
    final List<Integer> definedAt = new ArrayList<>();
    private final Map<String, Integer> byName = new HashMap<>();
    private final Map<String, Integer> classByRanges = new HashMap<>();
    private int elements;

    /** The rule named {@code name}, numbered at its first mention ({@code at}: where in the text). */
    int named(String name, int at) {
        return byName.computeIfAbsent(name, n -> newRule(n, at));
    }

    /** A rule of its own for a group or a repetition. */
    int anonymous(int at) {
        return newRule(null, at);
    }

    private int newRule(String name, int at) {
        names.add(name);
        alternatives.add(new ArrayList<>());
        firstUse.add(at);
        definedAt.add(-1);
        return names.size() - 1;
    }

    /** Whether the rule {@code rule} is now defined; false when it already was. */
    boolean define(int rule, int at) {
        if (definedAt.get(rule) >= 0) {
            return false;
        }
        definedAt.set(rule, at);
        return true;
    }

    /** Adds an alternative; false when the grammar would then be past {@link #MAX_ELEMENTS}. */
    boolean add(int rule, int[] sequence) {
        elements += sequence.length + 1;
        alternatives.get(rule).add(sequence);
        return elements <= MAX_ELEMENTS;
    }

    /** The element of a character class ({@code ranges}: sorted, apart), one per distinct class. */
    int terminal(int[] ranges) {
        String key = java.util.Arrays.toString(ranges);
        Integer c = classByRanges.get(key);
        if (c == null) {
            c = classes.size();
            classes.add(ranges);
            classByRanges.put(key, c);
        }
        return -1 - c;
    }

    Integer find(String name) {
        return byName.get(name);
    }

    int size() {
        return names.size();
    }
}
