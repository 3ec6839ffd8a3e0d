package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The events of a streamed background response, kept so that a reader can join or come back at
 * any point ({@code GET /v1/responses/{id}?stream=true&starting_after=N}): every event is written
 * once, as it is made, and handed to the readers following the log; a reader that joins gets those
 * after its starting point first. The responses renderer numbers its events from 0 without gaps, so
 * an event's place in the log is its {@code sequence_number}.
 *
 * <p>Thread-safe: the scheduler's thread writes, any thread follows; readers are called with the
 * log's lock held, so they must only hand the bytes on (to a channel), never block.
 */
public final class EventLog implements EventStream {

    /** A reader of the log. */
    public interface Follower {

        /** One event: its name and its JSON. */
        void event(String name, byte[] json);

        /** The log ended: no event follows. */
        void end();
    }

    private record Event(String name, byte[] json) {
    }

    /** What an event costs beyond its bytes, roughly. */
    private static final int OVERHEAD = 64;

    private final JsonFactory json;
    private final List<Event> events = new ArrayList<>();
    private final List<Follower> followers = new ArrayList<>();
    private boolean ended;
    private long bytes;

    public EventLog(JsonFactory json) {
        this.json = json;
    }

    @Override
    public void send(String name, JsonBody body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = json.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        Event event = new Event(name, out.toByteArray());
        synchronized (this) {
            if (ended) {
                return;
            }
            events.add(event);
            bytes += event.json().length + OVERHEAD;
            for (Follower f : followers) {
                f.event(event.name(), event.json());
            }
        }
    }

    /** Responses streams end with their last event, not with {@code [DONE]}. */
    @Override
    public void sendDone() {
        throw new UnsupportedOperationException("a responses stream has no [DONE]");
    }

    /** Ends the log: its followers are told, and no event is added after. */
    public synchronized void end() {
        if (ended) {
            return;
        }
        ended = true;
        for (Follower f : followers) {
            f.end();
        }
        followers.clear();
    }

    /**
     * Hands {@code follower} every event after the {@code after}-th (-1: all of them), then those to
     * come until the log ends (at once, if it has).
     */
    public synchronized void follow(int after, Follower follower) {
        for (int i = Math.max(0, after + 1); i < events.size(); i++) {
            follower.event(events.get(i).name(), events.get(i).json());
        }
        if (ended) {
            follower.end();
        } else {
            followers.add(follower);
        }
    }

    /** Stops handing events to {@code follower} (its reader went away); the log goes on. */
    public synchronized void unfollow(Follower follower) {
        followers.remove(follower);
    }

    public synchronized boolean ended() {
        return ended;
    }

    /** Events so far. */
    public synchronized int size() {
        return events.size();
    }

    /** Roughly the memory the log holds, for bounding how many are kept. */
    public synchronized int weight() {
        return (int) Math.min(Integer.MAX_VALUE, bytes + OVERHEAD);
    }
}
