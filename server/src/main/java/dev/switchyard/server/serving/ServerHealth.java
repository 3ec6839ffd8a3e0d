package dev.switchyard.server.serving;

/**
 * Where the server is in its life, shared by every transport: loading the model, ready, or draining
 * for shutdown. Health checks answer 503 unless ready, and so do the generation endpoints, so a load
 * balancer stops sending work before the model is up and as soon as shutdown begins.
 */
public final class ServerHealth {

    public enum State {
        LOADING, READY, DRAINING
    }

    private volatile State state = State.LOADING;
    private volatile ServedModel model;

    public State state() {
        return state;
    }

    public boolean isReady() {
        return state == State.READY;
    }

    /** The model, once loaded (also while draining); null while loading. */
    public ServedModel model() {
        return model;
    }

    /** The model is loaded: requests are served from now on. */
    public void ready(ServedModel loaded) {
        model = loaded;
        state = State.READY;
    }

    /** Shutdown began: new requests get 503, those accepted run on. */
    public void draining() {
        state = State.DRAINING;
    }
}
