package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keys a server accepts: {@code --api-key} as {@code default}, a file's keys by their names, the
 * server's own loopback key as {@code batch}; anything else names no key; a file with a malformed
 * line, a name or key given twice, the reserved name, or no keys at all is refused by line.
 */
class ApiKeysTest {

    @Test
    void eachKeyIsKnownByItsNameAndNothingElseIs(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), """
                # team keys
                alice   sk-alice-0001

                bob sk-bob-0002
                """);
        ApiKeys keys = ApiKeys.from("sk-main", file);
        assertThat(keys.enabled()).isTrue();
        assertThat(keys.count()).isEqualTo(3);
        assertThat(keys.nameOf("sk-main")).isEqualTo("default");
        assertThat(keys.nameOf("sk-alice-0001")).isEqualTo("alice");
        assertThat(keys.nameOf("sk-bob-0002")).isEqualTo("bob");
        assertThat(keys.nameOf(keys.loopbackKey())).isEqualTo(ApiKeys.LOOPBACK);
        assertThat(keys.loopbackKey()).hasSizeGreaterThan(40).isNotEqualTo(ApiKeys.from("sk-main", file).loopbackKey());
        for (String wrong : new String[] {"", "sk-alice-000", "sk-alice-00011", "alice", null}) {
            assertThat(keys.nameOf(wrong)).as(String.valueOf(wrong)).isNull();
        }
        assertThat(ApiKeys.from(null, file).nameOf("sk-main")).isNull();
    }

    @Test
    void withoutKeysNothingIsNeededAndNoLoopbackKeyIsMade() {
        for (ApiKeys none : new ApiKeys[] {ApiKeys.none(), ApiKeys.single(""), ApiKeys.from(null, null)}) {
            assertThat(none.enabled()).isFalse();
            assertThat(none.loopbackKey()).isNull();
            assertThat(none.nameOf("anything")).isNull();
        }
    }

    @Test
    void aFileThatCannotBeTrustedIsRefusedByLine(@TempDir Path dir) throws Exception {
        String[][] cases = {
            {"alice\n", "line 1", "NAME KEY"},
            {"alice sk-1 extra\n", "line 1", "concurrency=N"},
            {"alice sk-1 concurrency=2 more\n", "line 1", "NAME KEY"},
            {"al ice sk-1\n", "line 1", "NAME KEY"},
            {"a sk-1\na sk-2\n", "line 2", "used twice"},
            {"a sk-1\nb sk-1\n", "line 2", "given twice"},
            {"batch sk-1\n", "line 1", "the server's own"},
            {"# only a comment\n\n", "no keys", "open"},
        };
        for (String[] c : cases) {
            Path file = Files.writeString(dir.resolve("keys"), c[0]);
            assertThatThrownBy(() -> ApiKeys.from(null, file)).as(c[0])
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--api-key-file " + file).hasMessageContaining(c[1]).hasMessageContaining(c[2]);
        }
        assertThatThrownBy(() -> ApiKeys.from("k", dir.resolve("missing"))).hasMessageContaining("cannot read");
        Path clash = Files.writeString(dir.resolve("clash"), "alice sk-main\n");
        assertThatThrownBy(() -> ApiKeys.from("sk-main", clash)).hasMessageContaining("given twice");
    }

    @Test
    void aChangedFileIsReadAgainAndOneThatCannotBeTrustedLeavesTheKeysAsTheyWere(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-alice\nbob sk-bob\n");
        ApiKeys keys = ApiKeys.from(null, file);
        String loopback = keys.loopbackKey();
        assertThat(keys.reloadIfChanged()).as("unchanged").isFalse();

        Files.writeString(file, "alice sk-alice\ncarol sk-carol-new\n");
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertThat(keys.reloadIfChanged()).isTrue();
        assertThat(keys.nameOf("sk-bob")).as("bob's line deleted").isNull();
        assertThat(keys.nameOf("sk-carol-new")).isEqualTo("carol");
        assertThat(keys.nameOf("sk-alice")).isEqualTo("alice");
        assertThat(keys.loopbackKey()).as("the server's own key stays").isEqualTo(loopback);
        assertThat(keys.nameOf(loopback)).isEqualTo(ApiKeys.LOOPBACK);

        Files.writeString(file, "alice\n"); // a half-written edit
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 9000));
        assertThat(keys.reloadIfChanged()).isFalse();
        assertThat(keys.nameOf("sk-carol-new")).as("the keys stay as they were").isEqualTo("carol");

        Files.writeString(file, "dave sk-dave\n");
        keys.watch(java.time.Duration.ofMillis(20));
        try {
            for (int i = 0; i < 500 && keys.nameOf("sk-dave") == null; i++) {
                Thread.sleep(10);
            }
        } finally {
            keys.stopWatching();
        }
        assertThat(keys.nameOf("sk-dave")).as("the watcher read the new file").isEqualTo("dave");
        assertThat(keys.nameOf("sk-alice")).isNull();
    }

    @Test
    void aKeyWithABoundRunsAtMostThatManyRequestsAtOnce(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-a concurrency=2\nbob sk-b\n");
        ApiKeys keys = ApiKeys.from(null, file);
        assertThat(keys.concurrencyOf("alice")).isEqualTo(2);
        assertThat(keys.concurrencyOf("bob")).isZero();
        assertThat(keys.tryAcquire("alice")).isTrue();
        assertThat(keys.tryAcquire("alice")).isTrue();
        assertThat(keys.tryAcquire("alice")).as("a third at once").isFalse();
        for (int i = 0; i < 100; i++) {
            assertThat(keys.tryAcquire("bob")).as("no bound").isTrue();
        }
        keys.release("alice");
        assertThat(keys.tryAcquire("alice")).isTrue();

        // a bound lowered in the file counts the requests already running
        Files.writeString(file, "alice sk-a concurrency=1\nbob sk-b\n");
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertThat(keys.reloadIfChanged()).isTrue();
        keys.release("alice");
        assertThat(keys.tryAcquire("alice")).as("one still runs").isFalse();
        keys.release("alice");
        assertThat(keys.tryAcquire("alice")).isTrue();

        for (String bad : new String[] {"concurrency=0", "concurrency=x", "conc=2", "concurrency="}) {
            Path f = Files.writeString(dir.resolve("bad"), "carol sk-c " + bad + "\n");
            assertThatThrownBy(() -> ApiKeys.from(null, f)).as(bad).hasMessageContaining("line 1")
                    .hasMessageContaining("concurrency=N");
        }
    }

    private static final long SECOND = 1_000_000_000L;

    private static void touch(Path file, long plusMillis) throws Exception {
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()
                + plusMillis));
    }

    @Test
    void perMinuteSettingsAreReadInAnyOrder(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), """
                a sk-a requests_per_minute=5 tokens_per_minute=1000 concurrency=2
                b sk-b tokens_per_minute=7   requests_per_minute=3
                c sk-c concurrency=4 requests_per_minute=10000000
                d sk-d
                """);
        ApiKeys keys = ApiKeys.from("sk-main", file);
        KeyLimits a = keys.limitsOf("a");
        assertThat(a.concurrency()).isEqualTo(2);
        assertThat(a.requests().perMinute()).isEqualTo(5);
        assertThat(a.tokens().perMinute()).isEqualTo(1000);
        KeyLimits b = keys.limitsOf("b");
        assertThat(b.concurrency()).isZero();
        assertThat(b.requests().perMinute()).isEqualTo(3);
        assertThat(b.tokens().perMinute()).isEqualTo(7);
        assertThat(keys.limitsOf("c").tokens()).isNull();
        assertThat(keys.limitsOf("c").requests().perMinute()).isEqualTo(10_000_000);
        for (String none : new String[] {"d", "default", ApiKeys.LOOPBACK, "nobody"}) {
            assertThat(keys.limitsOf(none)).as(none).isSameAs(KeyLimits.NONE);
        }
    }

    @Test
    void aMalformedPerMinuteSettingIsRefusedNamingTheLine(@TempDir Path dir) throws Exception {
        String[][] cases = {
            {"requests_per_minute=0", "from 1 to 10000000"},
            {"requests_per_minute=-3", "from 1 to 10000000"},
            {"requests_per_minute=ten", "got 'requests_per_minute=ten'"},
            {"requests_per_minute=", "got 'requests_per_minute='"},
            {"requests_per_minute=10000001", "from 1 to 10000000"},
            {"tokens_per_minute=0", "from 1 to 10000000"},
            {"tokens_per_minute=1.5", "got 'tokens_per_minute=1.5'"},
            {"tokens_per_minute", "got 'tokens_per_minute'"},
            {"requests_per_hour=5", "unknown setting 'requests_per_hour=5'"},
            {"requests_per_minute=2 requests_per_minute=3", "requests_per_minute is given twice"},
            {"tokens_per_minute=9 concurrency=1 tokens_per_minute=9", "tokens_per_minute is given twice"},
            {"concurrency=1 concurrency=2", "concurrency is given twice"},
        };
        for (String[] c : cases) {
            Path file = Files.writeString(dir.resolve("keys"), "good sk-good requests_per_minute=3\nbad sk-bad " + c[0]
                    + "\n");
            assertThatThrownBy(() -> ApiKeys.from(null, file)).as(c[0])
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--api-key-file " + file + " line 2").hasMessageContaining(c[1])
                    .hasMessageContaining("requests_per_minute=N");
        }
    }

    @Test
    void aKeysModelsAreReadAndMalformedListsRefusedNamingTheLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "a sk-a models=tiny,style concurrency=2\nb sk-b\n");
        ApiKeys keys = ApiKeys.from(null, file);
        assertThat(keys.modelsOf("a")).containsExactly("tiny", "style");
        assertThat(keys.limitsOf("a").concurrency()).isEqualTo(2);
        assertThat(keys.modelsOf("b")).as("every model").isNull();
        assertThat(keys.modelsOf(ApiKeys.LOOPBACK)).isNull();
        assertThat(keys.modelsOf(null)).isNull();
        String[][] cases = {
            {"models=", "got 'models='"},
            {"models=a,,b", "got 'models=a,,b'"},
            {"models=a,b,a", "naming each model or adapter once"},
            {"models=a models=b", "models is given twice"},
        };
        for (String[] c : cases) {
            Path bad = Files.writeString(dir.resolve("bad"), "good sk-good\nbad sk-bad " + c[0] + "\n");
            assertThatThrownBy(() -> ApiKeys.from(null, bad)).as(c[0]).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("line 2").hasMessageContaining(c[1]);
        }
    }

    @Test
    void aKeysPriorityIsItsRequestsLevelWhereTheServerSchedulesByPriority(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "free sk-free priority=10\npaid sk-paid priority=-5\nold sk-old\n");
        ApiKeys keys = ApiKeys.from(null, file);
        assertThat(keys.limitsOf("free").priority()).isEqualTo(10);
        assertThat(keys.scopeOf("free")).as("not applied until the server says it schedules by priority")
                .isEqualTo(KeyScope.NONE);
        keys.schedulingByPriority(true);
        assertThat(keys.scopeOf("free")).isEqualTo(new KeyScope(null, 10));
        assertThat(keys.scopeOf("paid").priority()).isEqualTo(-5);
        assertThat(keys.scopeOf("old")).as("a key without one asks as it likes").isEqualTo(KeyScope.NONE);
        assertThat(keys.scopeOf(ApiKeys.LOOPBACK)).isEqualTo(KeyScope.NONE);
        assertThat(keys.scopeOf(null)).isEqualTo(KeyScope.NONE);
        keys.isolatingPrefixCache(true);
        assertThat(keys.scopeOf("free")).isEqualTo(new KeyScope("free", 10));
        assertThat(keys.scopeOf("old")).isEqualTo(new KeyScope("old", null));

        // first come, first served: a key's priority would reorder it, so the file is refused
        assertThatThrownBy(() -> ApiKeys.from(null, file).schedulingByPriority(false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'free' sets priority=10")
                .hasMessageContaining("--scheduling-policy priority");
        Path plain = Files.writeString(dir.resolve("plain"), "a sk-a\n");
        ApiKeys fcfs = ApiKeys.from(null, plain).schedulingByPriority(false);
        Files.writeString(plain, "a sk-a priority=1\nb sk-b\n");
        touch(plain, 5000);
        assertThat(fcfs.reloadIfChanged()).as("a file read again that sets one is not used").isFalse();
        assertThat(fcfs.nameOf("sk-b")).isNull();

        String[][] cases = {
            {"priority=", "got 'priority='"},
            {"priority=x", "got 'priority=x'"},
            {"priority=1000001", "from -1000000 to 1000000"},
            {"priority=-1000001", "got 'priority=-1000001'"},
            {"priority=1 priority=2", "priority is given twice"},
        };
        for (String[] c : cases) {
            Path bad = Files.writeString(dir.resolve("bad"), "good sk-good\nbad sk-bad " + c[0] + "\n");
            assertThatThrownBy(() -> ApiKeys.from(null, bad)).as(c[0]).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("line 2").hasMessageContaining(c[1]);
        }
        assertThat(ApiKeys.from(null, Files.writeString(dir.resolve("zero"), "z sk-z priority=0\n"))
                .limitsOf("z").priority()).as("0 is a level too").isZero();
    }

    @Test
    void aRequestRunsAtItsKeysLevelPlusTheLessUrgencyItAsks() {
        KeyScope free = new KeyScope(null, 10);
        assertThat(free.priority(0)).as("no priority asked").isEqualTo(10);
        assertThat(free.priority(3)).as("less urgent than its level").isEqualTo(13);
        assertThat(free.priority(-100)).as("never ahead of its level").isEqualTo(10);
        assertThat(free.priority(1000)).as("a batch's requests stay behind the key's own").isEqualTo(1010);
        assertThat(new KeyScope(null, 1_000_000).priority(Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
        assertThat(new KeyScope(null, -5).priority(Integer.MIN_VALUE)).isEqualTo(-5);
        assertThat(KeyScope.NONE.priority(-7)).as("without a level, as asked").isEqualTo(-7);
    }

    @Test
    void aKeyGetsItsRequestsPerMinuteThenIsToldWhenToRetry(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-a requests_per_minute=2\nbob sk-b\n");
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(5 * SECOND);
        ApiKeys keys = ApiKeys.from(null, file, now::get);
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.ADMITTED);
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.ADMITTED);
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.REQUESTS_PER_MINUTE);
        assertThat(keys.retryAfterNanos("alice", KeyAdmission.REQUESTS_PER_MINUTE)).isEqualTo(30 * SECOND);
        now.addAndGet(10 * SECOND);
        long retry = keys.retryAfterNanos("alice", KeyAdmission.REQUESTS_PER_MINUTE);
        assertThat(retry).isEqualTo(20 * SECOND);
        assertThat(keys.refusal("alice", KeyAdmission.REQUESTS_PER_MINUTE, retry))
                .isEqualTo("the API key 'alice' is over its limit of 2 requests per minute; retry after 20s");
        for (int i = 0; i < 50; i++) {
            assertThat(keys.admit("bob")).as("another key goes on").isEqualTo(KeyAdmission.ADMITTED);
            assertThat(keys.admit(ApiKeys.LOOPBACK)).as("the server's own batches are never limited")
                    .isEqualTo(KeyAdmission.ADMITTED);
        }
        now.addAndGet(20 * SECOND);
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.ADMITTED);
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.REQUESTS_PER_MINUTE);
    }

    @Test
    void aKeysTokensAreChargedAtTheEndAndItsDebtRefusesUntilRepaid(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-a tokens_per_minute=60\nbob sk-b\n");
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(0);
        ApiKeys keys = ApiKeys.from(null, file, now::get);
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.ADMITTED);
        assertThat(keys.admit("alice")).as("tokens are charged when known, not on admission")
                .isEqualTo(KeyAdmission.ADMITTED);
        keys.charge("alice", 200); // one request used more than the whole budget: 140 owed
        keys.charge("bob", 1_000_000); // no budget: nothing to charge
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.TOKENS_PER_MINUTE);
        assertThat(keys.admit("bob")).isEqualTo(KeyAdmission.ADMITTED);
        long retry = keys.retryAfterNanos("alice", KeyAdmission.TOKENS_PER_MINUTE);
        assertThat(retry).as("140 owed at 60 a minute").isEqualTo(140 * SECOND);
        assertThat(keys.refusal("alice", KeyAdmission.TOKENS_PER_MINUTE, retry)).contains("alice")
                .contains("60 tokens per minute").endsWith("retry after 2m20s");
        now.addAndGet(140 * SECOND - 1);
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.TOKENS_PER_MINUTE);
        now.addAndGet(1);
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.ADMITTED);
    }

    @Test
    void aRequestRefusedByOneLimitTakesNothingFromTheOthers(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"),
                "alice sk-a concurrency=1 requests_per_minute=3 tokens_per_minute=10\n");
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(0);
        ApiKeys keys = ApiKeys.from(null, file, now::get);
        RateBucket requests = keys.limitsOf("alice").requests();
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.ADMITTED);
        assertThat(requests.remaining(now.get())).isEqualTo(2);
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.CONCURRENCY);
        assertThat(requests.remaining(now.get())).as("the concurrency refusal put its request back").isEqualTo(2);
        keys.release("alice");

        keys.charge("alice", 11); // in debt now
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.TOKENS_PER_MINUTE);
        assertThat(requests.remaining(now.get())).as("the token refusal took no request").isEqualTo(2);
        assertThat(keys.tryAcquire("alice")).as("nor a place").isTrue();
        keys.release("alice");

        now.addAndGet(6 * SECOND); // the debt of 1 paid back at 10 a minute
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.ADMITTED);
        keys.release("alice");
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.ADMITTED);
        keys.release("alice");
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.REQUESTS_PER_MINUTE);
        assertThat(keys.tryAcquire("alice")).as("the requests refusal took no place").isTrue();
    }

    @Test
    void aReloadKeepsEachKeysAllowanceByNameAndStartsNewNamesFull(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), """
                alice sk-a requests_per_minute=4 tokens_per_minute=100
                bob sk-b requests_per_minute=2
                """);
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(0);
        ApiKeys keys = ApiKeys.from(null, file, now::get);
        for (int i = 0; i < 3; i++) {
            assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.ADMITTED);
        }
        keys.charge("alice", 250);
        assertThat(keys.admit("bob")).isEqualTo(KeyAdmission.ADMITTED);
        assertThat(keys.admit("bob")).isEqualTo(KeyAdmission.ADMITTED);

        // alice's limits lowered and raised, bob's line gone, carol's new
        Files.writeString(file, """
                alice sk-a requests_per_minute=2 tokens_per_minute=600
                carol sk-c requests_per_minute=2
                """);
        touch(file, 5000);
        assertThat(keys.reloadIfChanged()).isTrue();
        KeyLimits alice = keys.limitsOf("alice");
        assertThat(alice.requests().perMinute()).isEqualTo(2);
        assertThat(alice.requests().remaining(now.get())).as("1 left, within the new 2").isEqualTo(1);
        assertThat(keys.admit("alice")).as("the debt of 150 is kept").isEqualTo(KeyAdmission.TOKENS_PER_MINUTE);
        assertThat(keys.retryAfterNanos("alice", KeyAdmission.TOKENS_PER_MINUTE)).as("150 at the new 600 a minute")
                .isEqualTo(15 * SECOND);
        assertThat(keys.limitsOf("carol").requests().remaining(now.get())).as("a new name starts full").isEqualTo(2);
        assertThat(keys.limitsOf("bob")).isSameAs(KeyLimits.NONE);

        // bob back: a name that went away starts afresh
        Files.writeString(file, "alice sk-a requests_per_minute=2 tokens_per_minute=600\nbob sk-b requests_per_minute=2\n");
        touch(file, 9000);
        assertThat(keys.reloadIfChanged()).isTrue();
        assertThat(keys.admit("bob")).isEqualTo(KeyAdmission.ADMITTED);
        assertThat(keys.admit("bob")).isEqualTo(KeyAdmission.ADMITTED);
        assertThat(keys.limitsOf("alice").requests()).as("the same allowance across reloads").isSameAs(alice.requests());

        // limits dropped from a line: the key is no longer held to them
        Files.writeString(file, "alice sk-a\n");
        touch(file, 13000);
        assertThat(keys.reloadIfChanged()).isTrue();
        assertThat(keys.admit("alice")).isEqualTo(KeyAdmission.ADMITTED);
    }
}
