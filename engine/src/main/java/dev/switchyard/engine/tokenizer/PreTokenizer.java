package dev.switchyard.engine.tokenizer;

import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words that byte-level BPE merges within, as chosen by
 * {@code tokenizer.ggml.pre}.
 *
 * <p>A pre-tokenizer is a sequence of regular expressions applied in turn, as llama.cpp applies
 * them: each expression splits every piece left by the previous one into its matches and the text
 * between matches (which is kept, not dropped). An expression sees only its piece: {@code (?!\S)}
 * cannot look past the end of the piece and {@code \z} matches at it. {@code \s} is Unicode white
 * space, matching Python's and Rust's regex engines that the reference tokenizers use.
 *
 * <p>DeepSeek's expressions list hundreds of explicit character ranges, which java.util.regex tests
 * one by one; those steps are run by a small matcher over a precomputed code point set instead.
 */
public final class PreTokenizer {

    /** The GPT-2 expression (without the trailing {@code |\s+}, which the kept gaps make redundant). */
    private static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

    /** Llama 3 (tiktoken cl100k style): case-insensitive contractions, digits in runs of up to three. */
    private static final String LLAMA3 =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Qwen 2: as Llama 3 but single digits. */
    private static final String QWEN2 =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The cased letters (Lu, Ll, Lt) DeepSeek LLM's tokenizer lists explicitly, as inclusive ranges. */
    private static final int[] DEEPSEEK_LETTERS = {
        'A', 'Z', 'a', 'z', 0xB5, 0xB5, 0xC0, 0xD6, 0xD8, 0xF6, 0xF8, 0x1BA, 0x1BC, 0x1BF, 0x1C4, 0x293,
        0x295, 0x2AF, 0x370, 0x373, 0x376, 0x377, 0x37B, 0x37D, 0x37F, 0x37F, 0x386, 0x386, 0x388, 0x38A,
        0x38C, 0x38C, 0x38E, 0x3A1, 0x3A3, 0x3F5, 0x3F7, 0x481, 0x48A, 0x52F, 0x531, 0x556, 0x10A0, 0x10C5,
        0x13A0, 0x13F5, 0x13F8, 0x13FD, 0x1C90, 0x1CBA, 0x1CBD, 0x1CBF, 0x1D00, 0x1D2B, 0x1D6B, 0x1D77,
        0x1D79, 0x1D9A, 0x1E00, 0x1F15, 0x1F18, 0x1F1D, 0x1F20, 0x1F45, 0x1F48, 0x1F4D, 0x1F50, 0x1F57,
        0x1F59, 0x1F59, 0x1F5B, 0x1F5B, 0x1F5D, 0x1F5D, 0x1F5F, 0x1F7D, 0x1F80, 0x1FB4, 0x1FB6, 0x1FBC,
        0x1FBE, 0x1FBE, 0x1FC2, 0x1FC4, 0x1FC6, 0x1FCC, 0x1FD0, 0x1FD3, 0x1FD6, 0x1FDB, 0x1FE0, 0x1FEC,
        0x1FF2, 0x1FF4, 0x1FF6, 0x1FFC, 0x2102, 0x2102, 0x2107, 0x2107, 0x210A, 0x2113, 0x2115, 0x2115,
        0x2119, 0x211D, 0x2124, 0x2124, 0x2126, 0x2126, 0x2128, 0x2128, 0x212A, 0x212D, 0x212F, 0x2134,
        0x2139, 0x2139, 0x213C, 0x213F, 0x2145, 0x2149, 0x214E, 0x214E, 0x2183, 0x2184, 0x2C00, 0x2C7B,
        0x2C7E, 0x2CE4, 0x2CEB, 0x2CEE, 0x2CF2, 0x2CF3, 0xA640, 0xA66D, 0xA680, 0xA69B, 0xA722, 0xA76F,
        0xA771, 0xA787, 0xA78B, 0xA78E, 0xAB70, 0xABBF, 0xFB00, 0xFB06, 0xFB13, 0xFB17, 0xFF21, 0xFF3A,
        0xFF41, 0xFF5A, 0x10400, 0x1044F, 0x104B0, 0x104D3, 0x104D8, 0x104FB, 0x10C80, 0x10CB2, 0x10CC0,
        0x10CF2, 0x118A0, 0x118DF, 0x1E900, 0x1E943,
    };

    /** DeepSeek LLM's punctuation: ASCII and full-width punctuation, curly quotes, CJK space and stops. */
    private static final int[] DEEPSEEK_PUNCTUATION = {
        '!', '/', ':', '~', 0xFF01, 0xFF0F, 0xFF1A, 0xFF5E, 0x2018, 0x201F, 0x3000, 0x3002,
    };

    /** CJK ideographs U+4E00..U+9FA5, U+0800..U+4E00 and Hangul U+AC00..U+D7FF, as DeepSeek groups them. */
    private static final int[] DEEPSEEK_CJK = {0x4E00, 0x9FA5, 0x800, 0x4E00, 0xAC00, 0xD7FF};

    private static final List<Step> DEEPSEEK_LLM = List.of(
            regex("[\\r\\n]"),
            run(true, DEEPSEEK_LETTERS),
            run(true, DEEPSEEK_PUNCTUATION),
            regex("\\s+\\z"),
            run(false, DEEPSEEK_CJK),
            regex("\\p{N}+"));

    private static final List<Step> DEEPSEEK_CODER = List.of(
            regex("[\\r\\n]"),
            regex("\\s?\\p{L}+"),
            regex("\\s?\\p{P}+"),
            run(false, DEEPSEEK_CJK),
            regex("\\p{N}"));

    private static final List<Step> DEEPSEEK_V3 = regexes(
            "\\p{N}{1,3}",
            "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                    + "| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    private static final List<Step> FALCON = regexes(
            "[\\p{P}\\$\\+<=>\\^~\\|`]+",
            GPT2,
            "[0-9][0-9][0-9]");

    private static final List<Step> STARCODER = regexes("\\p{N}", GPT2);

    private static final List<Step> DEFAULT = regexes(
            "[\\p{P}\\$\\+<=>\\^~\\|]+",
            GPT2,
            "\\p{N}+",
            "[0-9][0-9][0-9]");

    private static final String BLOOM = " ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";

    private static final String TEKKEN =
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
                    + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
                    + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final String GPT4O =
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
                    + "(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                    + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
                    + "(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                    + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /**
     * Kimi K2 and Kimi Linear (tiktoken): GPT-4o's word rules, but characters of the Han script form runs of
     * their own and are taken out of the letter classes (the {@code &&[^\p{IsHan}]} intersections), so
     * "Hello世界" splits at the script change while kana, also {@code Lo}, still join words as letters do.
     * Unlike GPT-4o, no {@code /} follows the newlines after punctuation.
     */
    private static final String KIMI_K2 =
            "\\p{IsHan}+"
                    + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}&&[^\\p{IsHan}]]*"
                    + "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}&&[^\\p{IsHan}]]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                    + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}&&[^\\p{IsHan}]]+"
                    + "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}&&[^\\p{IsHan}]]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                    + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final String SEED_CODER =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                    + "| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Pre-tokenizer names (as converters write them) to step sequences. */
    private static final Map<String, List<Step>> REGISTRY = new LinkedHashMap<>();

    /** Names whose tokenizers skip merging when a whole word is already a token (Llama 3's ignore_merges). */
    private static final Set<String> IGNORE_MERGES = Set.of(
            "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "tekken");

    static {
        register(DEFAULT, "default");
        register(regexes(LLAMA3), "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0",
                "lfm2", "dbrx", "smaug-bpe", "chatglm-bpe", "glm4");
        register(DEEPSEEK_LLM, "deepseek-llm");
        register(DEEPSEEK_CODER, "deepseek-coder");
        register(DEEPSEEK_V3, "deepseek-v3", "hunyuan-dense");
        register(FALCON, "falcon");
        register(STARCODER, "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b");
        register(regexes(GPT2), "gpt-2", "mpt", "olmo", "jais", "phi-2", "jina-es", "jina-de", "gigachat",
                "jina-v2-es", "jina-v2-de", "jina-v1-en", "jina-v2-code", "roberta-bpe", "a.x-4.0", "mellum",
                "exaone4", "trillion", "granite-docling");
        register(regexes(QWEN2), "qwen2", "deepseek-r1-qwen", "megrez", "stablelm2", "hunyuan", "grok-2", "kormo");
        register(regexes(BLOOM), "bloom", "poro-chat", "gpt3-finnish");
        register(regexes(BLOOM, "\\p{N}"), "viking");
        register(regexes(TEKKEN), "tekken");
        register(regexes(GPT4O), "gpt-4o", "llama4", "minimax-m2");
        register(regexes(SEED_CODER), "seed-coder");
        register(regexes(KIMI_K2), "kimi-k2");
    }

    private static void register(List<Step> steps, String... names) {
        for (String name : names) {
            REGISTRY.put(name, steps);
        }
    }

    private static Step regex(String expression) {
        return new RegexStep(Pattern.compile(expression, Pattern.UNICODE_CHARACTER_CLASS));
    }

    private static List<Step> regexes(String... expressions) {
        return java.util.Arrays.stream(expressions).map(PreTokenizer::regex).toList();
    }

    /** {@code \s?[set]+} (with {@code optionalSpace}) or {@code [set]+}, the set given as inclusive ranges. */
    private static Step run(boolean optionalSpace, int[] ranges) {
        BitSet set = new BitSet();
        for (int i = 0; i < ranges.length; i += 2) {
            set.set(ranges[i], ranges[i + 1] + 1);
        }
        return new RunStep(optionalSpace, set);
    }

    private final String name;
    private final List<Step> steps;
    private final boolean ignoreMerges;

    private PreTokenizer(String name, List<Step> steps) {
        this.name = name;
        this.steps = steps;
        this.ignoreMerges = IGNORE_MERGES.contains(name);
    }

    /**
     * The pre-tokenizer of that name. A missing key ({@code null} or blank) means "default", as in llama.cpp; an
     * unknown name is an error, since guessing would silently produce wrong tokens.
     */
    public static PreTokenizer forName(String name) {
        String key = name == null || name.isBlank() ? "default" : name;
        List<Step> steps = REGISTRY.get(key);
        if (steps == null) {
            throw new TokenizerException("unknown pre-tokenizer '" + key + "' (tokenizer.ggml.pre); supported: "
                    + String.join(", ", new TreeSet<>(REGISTRY.keySet())));
        }
        return new PreTokenizer(key, steps);
    }

    /** A pre-tokenizer of plain regular expressions (tests use it as a reference for the fast steps). */
    static PreTokenizer ofRegexes(String name, String... expressions) {
        return new PreTokenizer(name, regexes(expressions));
    }

    /** DeepSeek LLM's expressions as written upstream, character ranges and all. */
    static String[] deepseekLlmRegexes() {
        return new String[] {
            "[\\r\\n]",
            "\\s?[" + rangesAsClass(DEEPSEEK_LETTERS) + "]+",
            "\\s?[" + rangesAsClass(DEEPSEEK_PUNCTUATION) + "]+",
            "\\s+\\z",
            "[" + rangesAsClass(DEEPSEEK_CJK) + "]+",
            "\\p{N}+",
        };
    }

    private static String rangesAsClass(int[] ranges) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ranges.length; i += 2) {
            sb.append(String.format("\\x{%X}-\\x{%X}", ranges[i], ranges[i + 1]));
        }
        return sb.toString();
    }

    public static Set<String> supportedNames() {
        return Collections.unmodifiableSet(new TreeSet<>(REGISTRY.keySet()));
    }

    public String name() {
        return name;
    }

    /** Whether a word that is itself a vocabulary entry is emitted as is, without merging (Llama 3). */
    boolean ignoreMerges() {
        return ignoreMerges;
    }

    /** Splits {@code text[from, to)} and returns the pieces as consecutive (start, end) pairs. */
    IntList split(String text, int from, int to) {
        IntList current = new IntList(8);
        current.add(from, to);
        for (Step step : steps) {
            IntList next = new IntList(Math.max(16, current.size() * 2));
            step.split(text, current, next);
            current = next;
        }
        return current;
    }

    /** One stage: splits each (start, end) piece of {@code in} into matches and gaps, onto {@code out}. */
    private interface Step {
        void split(String text, IntList in, IntList out);
    }

    private record RegexStep(Pattern pattern) implements Step {
        @Override
        public void split(String text, IntList in, IntList out) {
            Matcher m = pattern.matcher(text);
            for (int p = 0; p < in.size(); p += 2) {
                int start = in.get(p);
                int end = in.get(p + 1);
                m.region(start, end);
                int pos = start;
                while (m.find()) {
                    int ms = m.start();
                    int me = m.end();
                    if (me == ms) {
                        continue;
                    }
                    if (ms > pos) {
                        out.add(pos, ms);
                    }
                    out.add(ms, me);
                    pos = me;
                }
                if (pos < end) {
                    out.add(pos, end);
                }
            }
        }
    }

    /**
     * The leftmost-greedy matches of {@code \s?[set]+}: a white space followed by a member starts a
     * match at the white space, else a member starts one; it runs over all following members.
     */
    private record RunStep(boolean optionalSpace, BitSet set) implements Step {
        @Override
        public void split(String text, IntList in, IntList out) {
            for (int p = 0; p < in.size(); p += 2) {
                int start = in.get(p);
                int end = in.get(p + 1);
                int pos = start;
                int i = start;
                while (i < end) {
                    int cp = text.codePointAt(i);
                    int len = Character.charCount(cp);
                    int runStart;
                    if (set.get(cp)) {
                        runStart = i;
                    } else if (optionalSpace && i + len < end && isWhiteSpace(cp)
                            && set.get(text.codePointAt(i + len))) {
                        runStart = i;
                        i += len;
                    } else {
                        i += len;
                        continue;
                    }
                    while (i < end) {
                        int c = text.codePointAt(i);
                        if (!set.get(c)) {
                            break;
                        }
                        i += Character.charCount(c);
                    }
                    if (runStart > pos) {
                        out.add(pos, runStart);
                    }
                    out.add(runStart, i);
                    pos = i;
                }
                if (pos < end) {
                    out.add(pos, end);
                }
            }
        }
    }

    /** Unicode White_Space, which {@code \s} means under {@link Pattern#UNICODE_CHARACTER_CLASS}. */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** Convenience for tests and tools: the pieces as strings. */
    public List<String> splitToStrings(String text) {
        IntList bounds = split(text, 0, text.length());
        String[] out = new String[bounds.size() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = text.substring(bounds.get(2 * i), bounds.get(2 * i + 1));
        }
        return List.of(out);
    }

    @Override
    public String toString() {
        return "PreTokenizer[" + name + "]";
    }
}
